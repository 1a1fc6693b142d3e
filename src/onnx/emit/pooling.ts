/**
 * Emitters of the bilinear-pooling primitives: full bilinear (`outer_product`), compact bilinear
 * pooling (`mcb`, count sketches by `ScatterElements` and the circular convolution by `DFT`, with its
 * three residual variants and their 2-cell maps), learnt bilinear maps, and the helpers of the
 * factorised operators.
 *
 * MCB's spectra are always computed as one-sided transforms of the sketches and expanded by Hermitian
 * symmetry, whichever variant runs, so every variant feeds the same numbers to the backward graph.
 *
 * @module
 */
import { type McbAttrs, bilinearDef, concatLastDef, hadamardDef, halfSpectrum, mcbDef, mcbHashesOf, outerProductDef, signedSqrtL2Def, sumPoolDef } from '../../prims/pooling';
import type { Params, Residual } from '../../backend/backend';
import type { TypedPrim } from '../../term/check';
import { sizeOf } from '../../tensor/shape';
import { type SomeEmitter, defineEmitter } from '../emitter';
import type { GraphBuilder, Sym } from '../graph';
import { asReal, cmul, complex, dft, hermitianFull, imagPart, realPart } from './complex';
import { rows2 } from './basic';

const last = (x: Sym): number => x.shape[x.shape.length - 1]!;
const lead = (x: Sym): number[] => x.shape.slice(0, -1) as number[];

// The sketches and transforms are computed in double precision and rounded to float where they are
// kept or returned, as the JS and wasm kernels do: ORT's float DFT alone is 20–100× less accurate.
const dbl = (g: GraphBuilder, x: Sym): Sym => g.cast(x, 'double');
const flt = (g: GraphBuilder, x: Sym): Sym => g.cast(x, 'float');

/** The count sketch Ψ [rows, d] of x [rows, n]: Ψ_b = Σ_{h(i)=b} s(i) x_i (summed in double, stored as float). */
const sketch = (g: GraphBuilder, x2: Sym, h: Int32Array, s: Int8Array, d: number): Sym => {
  const rows = x2.shape[0]!;
  const idx = g.expand(g.constant(Array.from(h), [1, h.length], 'int64'), [rows, h.length]);
  const upd = g.mul(dbl(g, x2), g.constant(Array.from(s), [s.length], 'double'));
  const zeros = g.constant([0], [1, 1], 'double');
  return flt(g, g.node('ScatterElements', [g.expand(zeros, [rows, d]), idx, upd], { axis: 1, reduction: 'add' }, [{ shape: [rows, d], elem: 'double' }])[0]!);
};

/** Half spectra [rows, ⌊d/2⌋+1, 2] of both (float) sketches, rounded to float. */
const halfSpectra = (g: GraphBuilder, psi1: Sym, psi2: Sym): [Sym, Sym] => [
  flt(g, dft(g, asReal(g, dbl(g, psi1)), 1, { onesided: true })),
  flt(g, dft(g, asReal(g, dbl(g, psi2)), 1, { onesided: true })),
];

/** A half spectrum as the residual's (re, im) pair [..., h] and back. */
const splitHalf = (g: GraphBuilder, z: Sym, shape: readonly number[]): [Sym, Sym] => [g.reshape(realPart(g, z), shape), g.reshape(imagPart(g, z), shape)];

interface McbSizes {
  readonly rows: number;
  readonly d: number;
  readonly hashes: ReturnType<typeof mcbHashesOf>;
}

const mcbSizes = (n: TypedPrim<McbAttrs>): McbSizes => {
  const [xs, ys] = n.inputs as [number[], number[]];
  const dx = xs[xs.length - 1]!;
  const dy = ys[ys.length - 1]!;
  return { rows: sizeOf(xs) / dx, d: n.attrs.d, hashes: mcbHashesOf(n.attrs, dx, dy) };
};

/** The sketches of the inputs (as the forward graph computes them). */
const sketches = (g: GraphBuilder, n: TypedPrim<McbAttrs>, x: Sym, y: Sym): [Sym, Sym] => {
  const { d, hashes: H } = mcbSizes(n);
  return [sketch(g, rows2(g, x), H.h1, H.s1, d), sketch(g, rows2(g, y), H.h2, H.s2, d)];
};

const mcbEmitter = defineEmitter(mcbDef, {
  forward: (g, n, _p, [x, y]) => {
    const { d } = mcbSizes(n);
    const [psi1, psi2] = sketches(g, n, x!, y!);
    const [a, b] = halfSpectra(g, psi1, psi2);
    const z = flt(g, realPart(g, dft(g, cmul(g, hermitianFull(g, dbl(g, a), d), hermitianFull(g, dbl(g, b), d)), 1, { inverse: true })));
    const hs = [...lead(x!), halfSpectrum(d)];
    let residual: Record<string, Sym>;
    if (n.variant === 'input') residual = { x: x!, y: y! };
    else if (n.variant === 'sketch') residual = { psi1: g.reshape(psi1, [...lead(x!), d]), psi2: g.reshape(psi2, [...lead(x!), d]) };
    else {
      const [aRe, aIm] = splitHalf(g, a, hs);
      const [bRe, bIm] = splitHalf(g, b, hs);
      residual = { aRe, aIm, bRe, bIm };
    }
    return { outputs: [g.reshape(z, n.outputs[0]!)], residual };
  },
  backward: (g, n, _p, r, [dz]) => {
    const { d, rows, hashes: H } = mcbSizes(n);
    const h = halfSpectrum(d);
    let a: Sym;
    let b: Sym;
    if (n.variant === 'spectra') {
      const half = (re: Sym, im: Sym) => complex(g, g.reshape(re, [rows, h]), g.reshape(im, [rows, h]));
      a = half(r.aRe!, r.aIm!);
      b = half(r.bRe!, r.bIm!);
    } else {
      const [psi1, psi2] = n.variant === 'input' ? sketches(g, n, r.x!, r.y!) : [g.reshape(r.psi1!, [rows, d]), g.reshape(r.psi2!, [rows, d])];
      [a, b] = halfSpectra(g, psi1, psi2);
    }
    const A = hermitianFull(g, dbl(g, a), d);
    const B = hermitianFull(g, dbl(g, b), d);
    // ∂Ψ₁ = IFFT(G ⊙ conj B), ∂Ψ₂ = IFFT(G ⊙ conj A): both real, so one inverse of P + iQ gives both.
    const G = dft(g, asReal(g, dbl(g, rows2(g, dz!))), 1);
    const P = cmul(g, G, B, true);
    const Q = cmul(g, G, A, true);
    const packed = complex(g, g.sub(realPart(g, P), imagPart(g, Q)), g.add(imagPart(g, P), realPart(g, Q)));
    const inv = flt(g, dft(g, packed, 1, { inverse: true }));
    // The sketch's adjoint is a gather: ∂x_i = s₁(i) ∂Ψ₁[h₁(i)].
    const gather = (psi: Sym, hh: Int32Array, s: Int8Array) => g.mul(g.gather(psi, g.ints(Array.from(hh)), 1), g.constant(Array.from(s), [s.length]));
    const [xs, ys] = n.inputs;
    return { dInputs: [g.reshape(gather(realPart(g, inv), H.h1, H.s1), xs!), g.reshape(gather(imagPart(g, inv), H.h2, H.s2), ys!)], dParams: {} };
  },
  twoCells: {
    'input⇒sketch': (g: GraphBuilder, n: TypedPrim<McbAttrs>, _p: Params<Sym>, m: Residual<Sym>): Residual<Sym> => {
      const [psi1, psi2] = sketches(g, n, m.x!, m.y!);
      const l = lead(m.x!);
      return { psi1: g.reshape(psi1, [...l, n.attrs.d]), psi2: g.reshape(psi2, [...l, n.attrs.d]) };
    },
    'sketch⇒spectra': (g: GraphBuilder, n: TypedPrim<McbAttrs>, _p: Params<Sym>, m: Residual<Sym>): Residual<Sym> => {
      const { d, rows } = mcbSizes(n);
      const [a, b] = halfSpectra(g, g.reshape(m.psi1!, [rows, d]), g.reshape(m.psi2!, [rows, d]));
      const hs = [...lead(m.psi1!), halfSpectrum(d)];
      const [aRe, aIm] = splitHalf(g, a, hs);
      const [bRe, bIm] = splitHalf(g, b, hs);
      return { aRe, aIm, bRe, bIm };
    },
  },
});

export const poolingEmitters: SomeEmitter[] = [
  defineEmitter(outerProductDef, {
    forward: (g, n, _p, [x, y]) => ({ outputs: [g.reshape(g.mul(g.unsqueeze(x!, [-1]), g.unsqueeze(y!, [-2])), n.outputs[0]!)], residual: { x: x!, y: y! } }),
    backward: (g, _n, _p, r, [dz]) => {
      const x = rows2(g, r.x!);
      const y = rows2(g, r.y!);
      const [rows, dx] = x.shape as [number, number];
      const dy = last(y);
      const G = g.reshape(dz!, [rows, dx, dy]);
      return {
        dInputs: [g.reshape(g.matmul(G, g.unsqueeze(y, [-1])), r.x!.shape), g.reshape(g.matmul(g.unsqueeze(x, [1]), G), r.y!.shape)],
        dParams: {},
      };
    },
  }),
  defineEmitter(signedSqrtL2Def, {
    forward: (g, n, _p, [v]) => {
      const eps = n.attrs.eps ?? 1e-8;
      const s = g.mul(g.sign(v!), g.sub(g.sqrt(g.add(g.abs(v!), g.scalar(eps))), g.scalar(Math.sqrt(eps))));
      const s2 = rows2(g, s);
      const rn = g.reciprocal(g.sqrt(g.add(g.reduceSum(g.mul(s2, s2), [-1], true), g.scalar(eps))));
      return { outputs: [g.reshape(g.mul(s2, rn), v!.shape)], residual: { s, rnorm: g.reshape(rn, [s2.shape[0]!]) } };
    },
    backward: (g, n, _p, r, [dout]) => {
      const eps = n.attrs.eps ?? 1e-8;
      const s = rows2(g, r.s!);
      const rn = g.unsqueeze(r.rnorm!, [-1]);
      const gg = rows2(g, dout!);
      const dot = g.mul(g.reduceSum(g.mul(s, gg), [-1], true), rn);
      const ds = g.mul(rn, g.sub(gg, g.mul(g.mul(s, rn), dot)));
      // ds/dv = 1 / (2√(|v| + ε)) and √(|v| + ε) = |s| + √ε.
      const dv = g.div(ds, g.mul(g.scalar(2), g.add(g.abs(s), g.scalar(Math.sqrt(eps)))));
      return { dInputs: [g.reshape(dv, r.s!.shape)], dParams: {} };
    },
  }),
  mcbEmitter,
  defineEmitter(bilinearDef, {
    forward: (g, n, p, [x, y]) => {
      const nb = n.attrs.blocks ?? 1;
      const x2 = rows2(g, x!);
      const rows = x2.shape[0]!;
      const [, bx, by, bo] = p.w!.shape as [number, number, number, number];
      // t = x_b ⊗ y_b per block, then each block's core: z_b = vec(t_b) · w_b.
      const t = g.mul(g.reshape(x2, [rows, nb, bx, 1]), g.reshape(rows2(g, y!), [rows, nb, 1, by]));
      const tb = g.transpose(g.reshape(t, [rows, nb, bx * by]), [1, 0, 2]);
      const z = g.transpose(g.matmul(tb, g.reshape(p.w!, [nb, bx * by, bo])), [1, 0, 2]);
      return { outputs: [g.reshape(z, n.outputs[0]!)], residual: { x: x!, y: y! } };
    },
    backward: (g, n, p, r, [dz]) => {
      const nb = n.attrs.blocks ?? 1;
      const x2 = rows2(g, r.x!);
      const y2 = rows2(g, r.y!);
      const rows = x2.shape[0]!;
      const [, bx, by, bo] = p.w!.shape as [number, number, number, number];
      const xb = g.reshape(x2, [rows, nb, bx, 1]);
      const yb = g.reshape(y2, [rows, nb, 1, by]);
      const tb = g.transpose(g.reshape(g.mul(xb, yb), [rows, nb, bx * by]), [1, 0, 2]); // [nb, rows, bx·by]
      const gb = g.transpose(g.reshape(dz!, [rows, nb, bo]), [1, 0, 2]); // [nb, rows, bo]
      const w3 = g.reshape(p.w!, [nb, bx * by, bo]);
      const dt = g.reshape(g.transpose(g.matmul(gb, g.transpose(w3, [0, 2, 1])), [1, 0, 2]), [rows, nb, bx, by]);
      const dx = g.matmul(dt, g.transpose(yb, [0, 1, 3, 2])); // [rows, nb, bx, 1]
      const dy = g.matmul(g.transpose(xb, [0, 1, 3, 2]), dt); // [rows, nb, 1, by]
      const dw = g.reshape(g.matmul(g.transpose(tb, [0, 2, 1]), gb), p.w!.shape);
      return { dInputs: [g.reshape(dx, r.x!.shape), g.reshape(dy, r.y!.shape)], dParams: { w: dw } };
    },
  }),
  defineEmitter(hadamardDef, {
    forward: (g, _n, _p, [a, b]) => ({ outputs: [g.mul(a!, b!)], residual: { a: a!, b: b! } }),
    backward: (g, _n, _p, r, [dz]) => ({ dInputs: [g.mul(dz!, r.b!), g.mul(dz!, r.a!)], dParams: {} }),
  }),
  defineEmitter(sumPoolDef, {
    forward: (g, n, _p, [x]) => {
      const k = n.attrs.k;
      return { outputs: [g.reshape(g.reduceSum(g.reshape(x!, [...lead(x!), last(x!) / k, k]), [-1]), n.outputs[0]!)], residual: {} };
    },
    backward: (g, n, _p, _r, [dz]) => {
      const k = n.attrs.k;
      return { dInputs: [g.reshape(g.expand(g.unsqueeze(dz!, [-1]), [...dz!.shape, k]), n.inputs[0]!)], dParams: {} };
    },
  }),
  defineEmitter(concatLastDef, {
    forward: (g, _n, _p, xs) => ({ outputs: [g.concat(xs, -1)], residual: {} }),
    backward: (g, n, _p, _r, [dz]) => {
      let off = 0;
      const dInputs = n.inputs.map((s) => {
        const c = s[s.length - 1]!;
        const d = g.slice(dz!, [off], [off + c], [-1]);
        off += c;
        return d;
      });
      return { dInputs, dParams: {} };
    },
  }),
];
