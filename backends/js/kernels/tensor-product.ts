/**
 * JS kernels of `tensor_product` (dense) and `gaunt_tensor_product`. Each channel of each batch row
 * is one call into `src/equivariant/products.ts`; weights are per channel.
 */
import { type Params, type Residual, twoCellKey } from '../../../src/backend/backend';
import { type GauntTPAttrs, gauntTensorProductDef, loutOf, tensorProductDef } from '../../../src/prims/tensor-product';
import {
  denseBackward, denseForward, gauntBackward, gauntForward, gauntPlan, gauntScratch, tensorProductPaths, type TPPath,
} from '../../../src/equivariant/products';
import { sizeOf } from '../../../src/tensor/shape';
import type { FArray } from '../../../src/tensor/tensor';
import { jsKernel, like, type JsTensor } from '../kernel';

/** Degree of each SH index up to L. */
const degreesOf = (L: number): Int32Array => {
  const d = new Int32Array((L + 1) ** 2);
  for (let l = 0; l <= L; l++) d.fill(l, l * l, (l + 1) * (l + 1));
  return d;
};

interface Layout {
  readonly rows: number;
  readonly C: number;
  readonly n1: number;
  readonly n2: number;
  readonly n3: number;
  readonly L1: number;
  readonly L2: number;
  readonly L3: number;
}

const layout = (a: { l1: number; l2: number; lout?: number }, x1: readonly number[]): Layout => {
  const n1 = (a.l1 + 1) ** 2;
  return {
    rows: sizeOf(x1) / n1,
    C: x1[x1.length - 2]!,
    n1,
    n2: (a.l2 + 1) ** 2,
    n3: (loutOf(a) + 1) ** 2,
    L1: a.l1,
    L2: a.l2,
    L3: loutOf(a),
  };
};

/** Per-path weights of channel c (all ones when the primitive has no weights). */
const pathWeights = (paths: readonly TPPath[], mode: string, p: Params<JsTensor>, c: number, out: Float64Array): void => {
  const P = paths.length;
  if (mode === 'path') for (let k = 0; k < P; k++) out[k] = p.w!.data[c * P + k]!;
  else if (mode === 'degree') {
    const w1 = p.w1!, w2 = p.w2!, w3 = p.w3!;
    const [d1, d2, d3] = [w1.shape[1]!, w2.shape[1]!, w3.shape[1]!];
    for (let k = 0; k < P; k++) {
      const { l1, l2, l3 } = paths[k]!;
      out[k] = w1.data[c * d1 + l1]! * w2.data[c * d2 + l2]! * w3.data[c * d3 + l3]!;
    }
  } else out.fill(1);
};

export const tensorProduct = jsKernel(tensorProductDef, {
  forward: (n, p, [x1, x2]) => {
    const a = n.attrs;
    const g = layout(a, x1!.shape);
    const paths = tensorProductPaths(a.l1, a.l2, g.L3, a.coupling ?? 'cg');
    const mode = a.weights ?? 'path';
    const y = like(x1!, n.outputs[0]!);
    const w = new Float64Array(paths.length);
    for (let r = 0; r < g.rows; r++) {
      pathWeights(paths, mode, p, r % g.C, w);
      denseForward(paths, w, x1!.data, r * g.n1, x2!.data, r * g.n2, y.data, r * g.n3);
    }
    return { outputs: [y], residual: { x1: x1!, x2: x2! } };
  },
  backward: (n, p, res, [dy]) => {
    const a = n.attrs;
    const { x1, x2 } = res as { x1: JsTensor; x2: JsTensor };
    const g = layout(a, x1.shape);
    const paths = tensorProductPaths(a.l1, a.l2, g.L3, a.coupling ?? 'cg');
    const mode = a.weights ?? 'path';
    const dx1 = like(x1, x1.shape);
    const dx2 = like(x2, x2.shape);
    const w = new Float64Array(paths.length);
    const s = new Float64Array(paths.length);
    const P = paths.length;
    // Path-weight gradients per channel, accumulated in float64 and then spread to the parameters.
    const sp = new Float64Array(g.C * P);
    for (let r = 0; r < g.rows; r++) {
      const c = r % g.C;
      pathWeights(paths, mode, p, c, w);
      denseBackward(paths, w, x1.data, r * g.n1, x2.data, r * g.n2, dy!.data, r * g.n3, dx1.data, dx2.data, s);
      for (let k = 0; k < P; k++) sp[c * P + k] += s[k]!;
    }
    const dParams: Record<string, JsTensor> = {};
    if (mode === 'path') {
      const dw = like(x1, p.w!.shape);
      dw.data.set(sp);
      dParams.w = dw;
    } else if (mode === 'degree') {
      const { w1, w2, w3 } = p;
      const [dw1, dw2, dw3] = [like(x1, w1!.shape), like(x1, w2!.shape), like(x1, w3!.shape)];
      const [d1, d2, d3] = [w1!.shape[1]!, w2!.shape[1]!, w3!.shape[1]!];
      for (let c = 0; c < g.C; c++)
        for (let k = 0; k < P; k++) {
          const { l1, l2, l3 } = paths[k]!;
          const v = sp[c * P + k]!;
          const [a1, a2, a3] = [w1!.data[c * d1 + l1]!, w2!.data[c * d2 + l2]!, w3!.data[c * d3 + l3]!];
          dw1.data[c * d1 + l1] += v * a2 * a3;
          dw2.data[c * d2 + l2] += v * a1 * a3;
          dw3.data[c * d3 + l3] += v * a1 * a2;
        }
      Object.assign(dParams, { w1: dw1, w2: dw2, w3: dw3 });
    }
    return { dInputs: [dx1, dx2], dParams };
  },
});

/** x scaled per degree by channel c's weights: out[o + i] = x[o + i] · w[c, deg(i)]. */
const scaleByDegree = (x: FArray, o: number, n: number, w: JsTensor | undefined, c: number, deg: Int32Array, out: FArray, oo: number): void => {
  if (!w) {
    for (let i = 0; i < n; i++) out[oo + i] = x[o + i]!;
    return;
  }
  const d = w.shape[1]!;
  for (let i = 0; i < n; i++) out[oo + i] = x[o + i]! * w.data[c * d + deg[i]!]!;
};

/** Everything the Gaunt backward needs that the `inputs` variant recomputes and `grids` keeps. */
interface GauntState {
  f1re: JsTensor;
  f1im: JsTensor;
  f2re: JsTensor;
  f2im: JsTensor;
  b: JsTensor | null;
}

/**
 * The forward computation of the Gaunt product over all rows: Fourier grids of the weighted inputs
 * and the unweighted product b. Run by the forward pass, and again by the backward pass of the
 * `inputs` variant (same code, same rounding, so both variants give bit-identical gradients).
 */
const gauntState = (a: GauntTPAttrs, p: Params<JsTensor>, x1: JsTensor, x2: JsTensor): GauntState => {
  const g = layout(a, x1.shape);
  const plan = gauntPlan(a.l1, a.l2, g.L3);
  const s = gauntScratch(plan);
  const lead = x1.shape.slice(0, -1);
  const W1 = 2 * a.l1 + 1, W2 = 2 * a.l2 + 1;
  const st: GauntState = {
    f1re: like(x1, [...lead, W1, W1]),
    f1im: like(x1, [...lead, W1, W1]),
    f2re: like(x1, [...lead, W2, W2]),
    f2im: like(x1, [...lead, W2, W2]),
    b: like(x1, [...lead, g.n3]),
  };
  const deg1 = degreesOf(a.l1), deg2 = degreesOf(a.l2);
  const a1 = new Float64Array(g.n1), a2 = new Float64Array(g.n2);
  for (let r = 0; r < g.rows; r++) {
    const c = r % g.C;
    scaleByDegree(x1.data, r * g.n1, g.n1, p.w1, c, deg1, a1, 0);
    scaleByDegree(x2.data, r * g.n2, g.n2, p.w2, c, deg2, a2, 0);
    gauntForward(plan, s, a1, 0, a2, 0, st.f1re.data, st.f1im.data, r * W1 * W1, st.f2re.data, st.f2im.data, r * W2 * W2, st.b!.data, r * g.n3);
  }
  return st;
};

export const gauntTensorProduct = jsKernel(gauntTensorProductDef, {
  forward: (n, p, [x1, x2]) => {
    const a = n.attrs;
    const g = layout(a, x1!.shape);
    const st = gauntState(a, p, x1!, x2!);
    const y = like(x1!, n.outputs[0]!);
    scaleRows(st.b!, g, p.w3, y);
    return { outputs: [y], residual: n.variant === 'grids' ? gridsResidual(a, x1!, x2!, st) : { x1: x1!, x2: x2! } };
  },
  backward: (n, p, res, [dy]) => {
    const a = n.attrs;
    const x1 = res.x1!, x2 = res.x2!;
    const g = layout(a, x1.shape);
    const plan = gauntPlan(a.l1, a.l2, g.L3);
    const s = gauntScratch(plan);
    const degreeW = (a.weights ?? 'degree') === 'degree';
    const st: GauntState =
      n.variant === 'grids'
        ? { f1re: res.f1re!, f1im: res.f1im!, f2re: res.f2re!, f2im: res.f2im!, b: degreeW ? res.b! : null }
        : gauntState(a, p, x1, x2);
    const W1 = 2 * a.l1 + 1, W2 = 2 * a.l2 + 1;
    const deg1 = degreesOf(a.l1), deg2 = degreesOf(a.l2), deg3 = degreesOf(g.L3);
    const dx1 = like(x1, x1.shape);
    const dx2 = like(x2, x2.shape);
    const db = new Float64Array(g.n3);
    const da1 = new Float64Array(g.n1), da2 = new Float64Array(g.n2);
    const dw = degreeW ? { w1: like(x1, p.w1!.shape), w2: like(x1, p.w2!.shape), w3: like(x1, p.w3!.shape) } : null;
    for (let r = 0; r < g.rows; r++) {
      const c = r % g.C;
      const o3 = r * g.n3;
      if (dw) {
        const d3 = g.L3 + 1;
        for (let i = 0; i < g.n3; i++) {
          db[i] = dy!.data[o3 + i]! * p.w3!.data[c * d3 + deg3[i]!]!;
          dw.w3.data[c * d3 + deg3[i]!] += dy!.data[o3 + i]! * st.b!.data[o3 + i]!;
        }
      } else for (let i = 0; i < g.n3; i++) db[i] = dy!.data[o3 + i]!;
      da1.fill(0);
      da2.fill(0);
      gauntBackward(plan, s, st.f1re.data, st.f1im.data, r * W1 * W1, st.f2re.data, st.f2im.data, r * W2 * W2, db, 0, da1, 0, da2, 0);
      // a = w ⊙ x: dx = w ⊙ da, dw[deg] += da · x.
      const back = (da: Float64Array, x: JsTensor, dx: JsTensor, n_: number, L: number, deg: Int32Array, w?: JsTensor, dwt?: JsTensor) => {
        const o = r * n_;
        for (let i = 0; i < n_; i++) {
          const wi = w ? w.data[c * (L + 1) + deg[i]!]! : 1;
          dx.data[o + i] = wi * da[i]!;
          if (dwt) dwt.data[c * (L + 1) + deg[i]!] += da[i]! * x.data[o + i]!;
        }
      };
      back(da1, x1, dx1, g.n1, a.l1, deg1, p.w1, dw?.w1);
      back(da2, x2, dx2, g.n2, a.l2, deg2, p.w2, dw?.w2);
    }
    return { dInputs: [dx1, dx2], dParams: dw ?? {} };
  },
  twoCells: {
    // r recomputes the grids (and b) from the kept inputs by the forward's own routine.
    [twoCellKey('inputs', 'grids')]: { r: (n, p, m) => gridsResidual(n.attrs, m.x1!, m.x2!, gauntState(n.attrs, p, m.x1!, m.x2!)) },
  },
});

/** What the `grids` variant keeps: the inputs, both Fourier grids and, with degree weights, b. */
const gridsResidual = (a: GauntTPAttrs, x1: JsTensor, x2: JsTensor, st: GauntState): Residual<JsTensor> => ({
  x1,
  x2,
  f1re: st.f1re,
  f1im: st.f1im,
  f2re: st.f2re,
  f2im: st.f2im,
  ...((a.weights ?? 'degree') === 'degree' ? { b: st.b! } : {}),
});

/** y = w3 ⊙ b per degree (or a copy of b without weights). */
const scaleRows = (b: JsTensor, g: Layout, w3: JsTensor | undefined, y: JsTensor): void => {
  const deg = degreesOf(g.L3);
  for (let r = 0; r < g.rows; r++) scaleByDegree(b.data, r * g.n3, g.n3, w3, r % g.C, deg, y.data, r * g.n3);
};
