/**
 * Emitters of the equivariant tensor products.
 *
 * - `tensor_product` (dense): every path's coupling tensor is laid into one constant matrix
 *   [(n1·n2), (paths·n3)], so the product is an outer product, one MatMul and a weighted sum over
 *   paths; its backward is the transposed MatMul and two batched MatMuls.
 * - `gaunt_tensor_product`: SH → compact Fourier grids by the library's sparse tables written as
 *   dense matrices, zero-padded into N×N grids, a 2-D `DFT` convolution, and the grid → SH
 *   projection as matrices; the backward graph is the adjoint of each step (correlations by DFT).
 *   The transforms run in double precision and are rounded to float where kept, like the JS kernel.
 *
 * @module
 */
import { type DenseTPAttrs, type GauntTPAttrs, gauntTensorProductDef, loutOf, tensorProductDef } from '../../prims/tensor-product';
import { type GauntPlan, type TPPath, gauntPlan, tensorProductPaths } from '../../equivariant/products';
import type { FourierTable } from '../../equivariant/fourier';
import type { Params, Residual } from '../../backend/backend';
import type { TypedPrim } from '../../term/check';
import { sizeOf } from '../../tensor/shape';
import { type SomeEmitter, defineEmitter } from '../emitter';
import type { GraphBuilder, Sym } from '../graph';
import { cmul, complex, dft, imagPart, realPart } from './complex';

/** Degree of each SH index up to L. */
const degreesOf = (L: number): number[] => Array.from({ length: (L + 1) ** 2 }, (_, i) => Math.floor(Math.sqrt(i)));

const oneHot = (idx: readonly number[], depth: number): number[] => {
  const m = new Array<number>(idx.length * depth).fill(0);
  idx.forEach((v, i) => (m[i * depth + v] = 1));
  return m;
};

interface Layout {
  readonly rows: number;
  readonly C: number;
  readonly Bt: number;
  readonly n1: number;
  readonly n2: number;
  readonly n3: number;
}

const layout = (a: { l1: number; l2: number; lout?: number }, x1: readonly number[]): Layout => {
  const n1 = (a.l1 + 1) ** 2;
  const rows = sizeOf(x1) / n1;
  const C = x1[x1.length - 2]!;
  return { rows, C, Bt: rows / C, n1, n2: (a.l2 + 1) ** 2, n3: (loutOf(a) + 1) ** 2 };
};

/** Per-degree weights gathered to per-index weights [C, (L+1)²]. */
const byDegree = (g: GraphBuilder, w: Sym, L: number): Sym => g.gather(w, g.ints(degreesOf(L)), 1);

/** Gradient of per-index weights [C, n] summed back to per-degree [C, L+1]. */
const toDegrees = (g: GraphBuilder, d: Sym, L: number): Sym => g.matmul(d, g.constant(oneHot(degreesOf(L), L + 1), [(L + 1) ** 2, L + 1]));

// --- dense -------------------------------------------------------------------------------------

/** Every path's coupling tensor in one matrix: row (i·n2 + j), column (p·n3 + k). */
const couplingMatrix = (paths: readonly TPPath[], n1: number, n2: number, n3: number): number[] => {
  const P = paths.length;
  const m = new Array<number>(n1 * n2 * P * n3).fill(0);
  paths.forEach(({ l1, l2, l3, coeffs }, p) => {
    const d2 = 2 * l2 + 1;
    const d3 = 2 * l3 + 1;
    for (let a = 0; a < 2 * l1 + 1; a++)
      for (let b = 0; b < d2; b++)
        for (let c = 0; c < d3; c++) m[((l1 * l1 + a) * n2 + (l2 * l2 + b)) * P * n3 + p * n3 + l3 * l3 + c] = coeffs[(a * d2 + b) * d3 + c]!;
  });
  return m;
};

/** Per-path weights [C, P] from the parameters (and what the degree weights' gradients need). */
const pathWeightsOf = (g: GraphBuilder, a: DenseTPAttrs, paths: readonly TPPath[], p: Params<Sym>, C: number) => {
  const mode = a.weights ?? 'path';
  const P = paths.length;
  if (mode === 'path') return { W: p.w! };
  if (mode === 'none') return { W: g.constant(new Array(C * P).fill(1), [C, P]) };
  const at = (w: Sym, ls: number[]) => g.gather(w, g.ints(ls), 1);
  const G1 = at(p.w1!, paths.map((x) => x.l1));
  const G2 = at(p.w2!, paths.map((x) => x.l2));
  const G3 = at(p.w3!, paths.map((x) => x.l3));
  return { W: g.mul(g.mul(G1, G2), G3), G1, G2, G3 };
};

const denseEmitter = defineEmitter(tensorProductDef, {
  forward: (g, n, p, [x1, x2]) => {
    const a = n.attrs;
    const L = layout(a, x1!.shape);
    const paths = tensorProductPaths(a.l1, a.l2, loutOf(a), a.coupling ?? 'cg');
    const P = paths.length;
    const outer = g.reshape(g.mul(g.reshape(x1!, [L.Bt, L.C, L.n1, 1]), g.reshape(x2!, [L.Bt, L.C, 1, L.n2])), [L.Bt, L.C, L.n1 * L.n2]);
    const Z = g.reshape(g.matmul(outer, g.constant(couplingMatrix(paths, L.n1, L.n2, L.n3), [L.n1 * L.n2, P * L.n3])), [L.Bt, L.C, P, L.n3]);
    const { W } = pathWeightsOf(g, a, paths, p, L.C);
    const y = g.reduceSum(g.mul(Z, g.unsqueeze(W, [-1])), [2]);
    return { outputs: [g.reshape(y, n.outputs[0]!)], residual: { x1: x1!, x2: x2! } };
  },
  backward: (g, n, p, r, [dy]) => {
    const a = n.attrs;
    const L = layout(a, r.x1!.shape);
    const paths = tensorProductPaths(a.l1, a.l2, loutOf(a), a.coupling ?? 'cg');
    const P = paths.length;
    const x1 = g.reshape(r.x1!, [L.Bt, L.C, L.n1, 1]);
    const x2 = g.reshape(r.x2!, [L.Bt, L.C, 1, L.n2]);
    const Cm = g.constant(couplingMatrix(paths, L.n1, L.n2, L.n3), [L.n1 * L.n2, P * L.n3]);
    const Z = g.reshape(g.matmul(g.reshape(g.mul(x1, x2), [L.Bt, L.C, L.n1 * L.n2]), Cm), [L.Bt, L.C, P, L.n3]);
    const pw = pathWeightsOf(g, a, paths, p, L.C);
    const d = g.reshape(dy!, [L.Bt, L.C, 1, L.n3]);
    const dZ = g.reshape(g.mul(g.unsqueeze(pw.W, [-1]), d), [L.Bt, L.C, P * L.n3]);
    const douter = g.reshape(g.matmul(dZ, g.transpose(Cm, [1, 0])), [L.Bt, L.C, L.n1, L.n2]);
    const dx1 = g.matmul(douter, g.transpose(x2, [0, 1, 3, 2]));
    const dx2 = g.matmul(g.transpose(x1, [0, 1, 3, 2]), douter);
    const dW = g.reduceSum(g.reduceSum(g.mul(Z, d), [-1]), [0]); // [C, P]
    const dParams: Record<string, Sym> = {};
    const mode = a.weights ?? 'path';
    if (mode === 'path') dParams.w = dW;
    else if (mode === 'degree') {
      const oh = (ls: number[], depth: number) => g.constant(oneHot(ls, depth), [P, depth]);
      dParams.w1 = g.matmul(g.mul(dW, g.mul(pw.G2!, pw.G3!)), oh(paths.map((x) => x.l1), a.l1 + 1));
      dParams.w2 = g.matmul(g.mul(dW, g.mul(pw.G1!, pw.G3!)), oh(paths.map((x) => x.l2), a.l2 + 1));
      dParams.w3 = g.matmul(g.mul(dW, g.mul(pw.G1!, pw.G2!)), oh(paths.map((x) => x.l3), loutOf(a) + 1));
    }
    return { dInputs: [g.reshape(dx1, r.x1!.shape), g.reshape(dx2, r.x2!.shape)], dParams };
  },
});

// --- Gaunt -------------------------------------------------------------------------------------

/** A sparse SH ↔ grid table as dense matrices [(L+1)², cells] (re and im), cells mapped by `cellMap`. */
const tableMatrices = (t: FourierTable, nSh: number, nCells: number, cellMap: (c: number) => number): { re: number[]; im: number[] } => {
  const re = new Array<number>(nSh * nCells).fill(0);
  const im = new Array<number>(nSh * nCells).fill(0);
  for (let e = 0; e < t.sh.length; e++) {
    const k = t.sh[e]! * nCells + cellMap(t.cell[e]!);
    re[k] += t.re[e]!;
    im[k] += t.im[e]!;
  }
  return { re, im };
};

/** The 0/1 matrix [W², N²] that places a compact grid into the zero-padded N×N grid. */
const padMatrix = (pad: Int32Array, N: number): number[] => {
  const m = new Array<number>(pad.length * N * N).fill(0);
  pad.forEach((c, i) => (m[i * N * N + c] = 1));
  return m;
};

/** Constants of one Gaunt plan in a graph (double precision). */
const gauntConstants = (g: GraphBuilder, plan: GauntPlan, n1: number, n2: number, n3: number) => {
  const N2 = plan.N * plan.N;
  const W1 = (2 * plan.L1 + 1) ** 2;
  const W2 = (2 * plan.L2 + 1) ** 2;
  const mat = (v: number[], r: number, c: number) => g.constant(v, [r, c], 'double');
  const to1 = tableMatrices(plan.to1, n1, W1, (c) => c);
  const to2 = tableMatrices(plan.to2, n2, W2, (c) => c);
  // The projection's cells are mapped per entry (fromN), so it is built from the entries directly.
  const fre = new Array<number>(n3 * N2).fill(0);
  const fim = new Array<number>(n3 * N2).fill(0);
  for (let e = 0; e < plan.from.sh.length; e++) {
    fre[plan.from.sh[e]! * N2 + plan.fromN[e]!] += plan.from.re[e]!;
    fim[plan.from.sh[e]! * N2 + plan.fromN[e]!] += plan.from.im[e]!;
  }
  return {
    to1: { re: mat(to1.re, n1, W1), im: mat(to1.im, n1, W1) },
    to2: { re: mat(to2.re, n2, W2), im: mat(to2.im, n2, W2) },
    pad1: mat(padMatrix(plan.pad1, plan.N), W1, N2),
    pad2: mat(padMatrix(plan.pad2, plan.N), W2, N2),
    from: { re: mat(fre, n3, N2), im: mat(fim, n3, N2) },
  };
};

type GauntConsts = ReturnType<typeof gauntConstants>;

/** The 2-D DFT [rows, N, N, 2] of a grid given flat [rows, N²] (re, im). */
const fft2 = (g: GraphBuilder, re: Sym, im: Sym, N: number, inverse = false): Sym => {
  const rows = re.shape[0]!;
  const z = complex(g, g.reshape(re, [rows, N, N]), g.reshape(im, [rows, N, N]));
  return dft(g, dft(g, z, 1, { inverse }), 2, { inverse });
};

const flat = (g: GraphBuilder, z: Sym, N: number): [Sym, Sym] => {
  const rows = z.shape[0]!;
  return [g.reshape(realPart(g, z), [rows, N * N]), g.reshape(imagPart(g, z), [rows, N * N])];
};

/** The weighted inputs' compact grids [rows, (2l+1)²], rounded to float (as kept). */
interface GauntGrids {
  readonly f1re: Sym;
  readonly f1im: Sym;
  readonly f2re: Sym;
  readonly f2im: Sym;
}

/**
 * The forward computation of the grids (then {@link productOf} gives the unweighted product b): run
 * by the forward graph, by the `inputs` variant's backward graph and by the 2-cell map alike.
 */
const gauntGrids = (g: GraphBuilder, a: GauntTPAttrs, p: Params<Sym>, x1: Sym, x2: Sym, K: GauntConsts, L: Layout): GauntGrids => {
  const weighted = (x: Sym, w: Sym | undefined, l: number, n: number) => {
    const xr = g.reshape(x, [L.Bt, L.C, n]);
    return g.reshape(w ? g.mul(xr, byDegree(g, w, l)) : xr, [L.rows, n]);
  };
  const a1 = g.cast(weighted(x1, p.w1, a.l1, L.n1), 'double');
  const a2 = g.cast(weighted(x2, p.w2, a.l2, L.n2), 'double');
  const f = (x: Sym, t: { re: Sym; im: Sym }) => [g.cast(g.matmul(x, t.re), 'float'), g.cast(g.matmul(x, t.im), 'float')] as const;
  const [f1re, f1im] = f(a1, K.to1);
  const [f2re, f2im] = f(a2, K.to2);
  return { f1re, f1im, f2re, f2im };
};

/** b = P(f₁ f₂): pad both grids, multiply their 2-D spectra, transform back, project to SH. */
const productOf = (g: GraphBuilder, s: GauntGrids, plan: GauntPlan, K: GauntConsts): Sym => {
  const N = plan.N;
  const padded = (re: Sym, im: Sym, pad: Sym) => fft2(g, g.matmul(g.cast(re, 'double'), pad), g.matmul(g.cast(im, 'double'), pad), N);
  const P1 = padded(s.f1re, s.f1im, K.pad1);
  const P2 = padded(s.f2re, s.f2im, K.pad2);
  const q = dft(g, dft(g, cmul(g, P1, P2), 1, { inverse: true }), 2, { inverse: true });
  const [qr, qi] = flat(g, q, N);
  const tr = (m: Sym) => g.transpose(m, [1, 0]);
  return g.cast(g.sub(g.matmul(qr, tr(K.from.re)), g.matmul(qi, tr(K.from.im))), 'float');
};

const gauntEmitter = defineEmitter(gauntTensorProductDef, {
  forward: (g, n, p, [x1, x2]) => {
    const a = n.attrs;
    const L = layout(a, x1!.shape);
    const plan = gauntPlan(a.l1, a.l2, loutOf(a));
    const K = gauntConstants(g, plan, L.n1, L.n2, L.n3);
    const st = gauntGrids(g, a, p, x1!, x2!, K, L);
    const b = productOf(g, st, plan, K);
    const br = g.reshape(b, [L.Bt, L.C, L.n3]);
    const y = p.w3 ? g.mul(br, byDegree(g, p.w3, loutOf(a))) : br;
    const lead = x1!.shape.slice(0, -1);
    const W1 = 2 * a.l1 + 1;
    const W2 = 2 * a.l2 + 1;
    const residual: Record<string, Sym> =
      n.variant === 'grids'
        ? {
            x1: x1!,
            x2: x2!,
            f1re: g.reshape(st.f1re, [...lead, W1, W1]),
            f1im: g.reshape(st.f1im, [...lead, W1, W1]),
            f2re: g.reshape(st.f2re, [...lead, W2, W2]),
            f2im: g.reshape(st.f2im, [...lead, W2, W2]),
            ...((a.weights ?? 'degree') === 'degree' ? { b: g.reshape(b, [...lead, L.n3]) } : {}),
          }
        : { x1: x1!, x2: x2! };
    return { outputs: [g.reshape(y, n.outputs[0]!)], residual };
  },
  backward: (g, n, p, r, [dy]) => {
    const a = n.attrs;
    const L = layout(a, r.x1!.shape);
    const plan = gauntPlan(a.l1, a.l2, loutOf(a));
    const K = gauntConstants(g, plan, L.n1, L.n2, L.n3);
    const degreeW = (a.weights ?? 'degree') === 'degree';
    const W1 = (2 * a.l1 + 1) ** 2;
    const W2 = (2 * a.l2 + 1) ** 2;
    const st: GauntGrids =
      n.variant === 'grids'
        ? {
            f1re: g.reshape(r.f1re!, [L.rows, W1]),
            f1im: g.reshape(r.f1im!, [L.rows, W1]),
            f2re: g.reshape(r.f2re!, [L.rows, W2]),
            f2im: g.reshape(r.f2im!, [L.rows, W2]),
          }
        : gauntGrids(g, a, p, r.x1!, r.x2!, K, L);
    const dyr = g.reshape(dy!, [L.Bt, L.C, L.n3]);
    const dParams: Record<string, Sym> = {};
    let db = dyr;
    if (degreeW) {
      db = g.mul(dyr, byDegree(g, p.w3!, loutOf(a)));
      // b: kept (grids) or recomputed exactly as the forward graph computed it (inputs).
      const b = n.variant === 'grids' ? r.b! : productOf(g, st, plan, K);
      dParams.w3 = toDegrees(g, g.reduceSum(g.mul(dyr, g.reshape(b, [L.Bt, L.C, L.n3])), [0]), loutOf(a));
    }
    // g_G = db · conj(T) on the N×N grid, then its spectrum.
    const N = plan.N;
    const dbd = g.cast(g.reshape(db, [L.rows, L.n3]), 'double');
    const G = fft2(g, g.matmul(dbd, K.from.re), g.neg(g.matmul(dbd, K.from.im)), N);
    const spec = (re: Sym, im: Sym, pad: Sym) => fft2(g, g.matmul(g.cast(re, 'double'), pad), g.matmul(g.cast(im, 'double'), pad), N);
    const P1 = spec(st.f1re, st.f1im, K.pad1);
    const P2 = spec(st.f2re, st.f2im, K.pad2);
    /** da[sh] = Re Σ conj(S) · IFFT(G · conj P) at the compact grid's cells. */
    const side = (P: Sym, t: { re: Sym; im: Sym }, pad: Sym) => {
      const q = dft(g, dft(g, cmul(g, G, P, true), 1, { inverse: true }), 2, { inverse: true });
      const [qr, qi] = flat(g, q, N);
      const tr = (m: Sym) => g.transpose(m, [1, 0]);
      const back = (x: Sym) => g.matmul(x, tr(pad)); // [rows, W²]
      return g.cast(g.add(g.matmul(back(qr), tr(t.re)), g.matmul(back(qi), tr(t.im))), 'float');
    };
    const da1 = g.reshape(side(P2, K.to1, K.pad1), [L.Bt, L.C, L.n1]);
    const da2 = g.reshape(side(P1, K.to2, K.pad2), [L.Bt, L.C, L.n2]);
    const back = (da: Sym, x: Sym, w: Sym | undefined, l: number, n_: number, name: string) => {
      const xr = g.reshape(x, [L.Bt, L.C, n_]);
      if (!w) return da;
      dParams[name] = toDegrees(g, g.reduceSum(g.mul(da, xr), [0]), l);
      return g.mul(da, byDegree(g, w, l));
    };
    const dx1 = back(da1, r.x1!, p.w1, a.l1, L.n1, 'w1');
    const dx2 = back(da2, r.x2!, p.w2, a.l2, L.n2, 'w2');
    return { dInputs: [g.reshape(dx1, r.x1!.shape), g.reshape(dx2, r.x2!.shape)], dParams };
  },
  twoCells: {
    'inputs⇒grids': (g: GraphBuilder, n: TypedPrim<GauntTPAttrs>, p: Params<Sym>, m: Residual<Sym>): Residual<Sym> => {
      const a = n.attrs;
      const L = layout(a, m.x1!.shape);
      const plan = gauntPlan(a.l1, a.l2, loutOf(a));
      const K = gauntConstants(g, plan, L.n1, L.n2, L.n3);
      const st = gauntGrids(g, a, p, m.x1!, m.x2!, K, L);
      const lead = m.x1!.shape.slice(0, -1);
      const W1 = 2 * a.l1 + 1;
      const W2 = 2 * a.l2 + 1;
      return {
        x1: m.x1!,
        x2: m.x2!,
        f1re: g.reshape(st.f1re, [...lead, W1, W1]),
        f1im: g.reshape(st.f1im, [...lead, W1, W1]),
        f2re: g.reshape(st.f2re, [...lead, W2, W2]),
        f2im: g.reshape(st.f2im, [...lead, W2, W2]),
        ...((a.weights ?? 'degree') === 'degree' ? { b: g.reshape(productOf(g, st, plan, K), [...lead, L.n3]) } : {}),
      };
    },
  },
});

export const tensorProductEmitters: SomeEmitter[] = [denseEmitter, gauntEmitter];
