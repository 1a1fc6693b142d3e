/**
 * Bilinear pooling: fusing two feature vectors x [..., dx] and y [..., dy] through their outer
 * product or a factorisation of it.
 *
 * Primitives (each a box with two input wires unless noted):
 * - `outer_product`: full bilinear pooling, vec(x yᵀ) (index i·dy + j holds x_i y_j).
 * - `mcb`: compact bilinear pooling: the circular convolution of two count sketches, by FFT.
 * - `bilinear`: a learnt bilinear map z_k = Σ_ij w_ijk x_i y_j, optionally block-diagonal (BLOCK's core).
 * - `signed_sqrt_l2` (one wire): signed square root then L2 normalisation, kept separate so that
 *   every operator above is exactly bilinear before it.
 * - helpers for the factorised operators: `hadamard` (elementwise product of two wires),
 *   `sum_pool` (sum consecutive groups of k features), `concat_last` (join wires on the last axis).
 *
 * The factorised operators (MLB, MFB, MFH, MUTAN, BLOCK) are terms built from these and `linear`
 * by the constructors at the end of this file, so they are checked, planned and lowered like any
 * other model.
 */
import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { type Term, copy, id, named, par, permute, prim, seq } from '../term/term';
import { type Shape, shapeEq, showShape } from '../tensor/shape';
import { rng } from '../tensor/rng';
import { Dim, Epsilon, NoAttrs, SafeInt, bad, cost, fanInNormal, lastDim, ok, sizeOf } from './util';

/** Leading (batch) dims of two wires must agree; both need rank ≥ 1. */
const pairShape = (name: string, x: Shape, y: Shape): string | null => {
  if (x.length < 1) return `${name}: input x needs rank ≥ 1, got ${showShape(x)}`;
  if (y.length < 1) return `${name}: input y needs rank ≥ 1, got ${showShape(y)}`;
  if (!shapeEq(x.slice(0, -1), y.slice(0, -1)))
    return `${name}: inputs x ${showShape(x)} and y ${showShape(y)} must agree on all but the last axis`;
  return null;
};

const rowsOf = (s: Shape): number => sizeOf(s) / lastDim(s);

/** Flops of one complex FFT of length n (5 n log₂ n; Bluestein costs three of length m ≥ 2n−1). */
export const fftFlops = (n: number): number => {
  if (n <= 1) return 0;
  if ((n & (n - 1)) === 0) return 5 * n * Math.log2(n);
  let m = 1;
  while (m < 2 * n - 1) m *= 2; // (not <<=: past 2^30 a 32-bit shift overflows and never ends)
  return 3 * 5 * m * Math.log2(m) + 12 * n + 6 * m;
};

// ---------------------------------------------------------------------------------------------
// Full bilinear pooling

/** vec(x yᵀ): the full bilinear feature, dx·dy wide. */
export const outerProductDef = definePrimitive({
  name: 'outer_product',
  doc: 'Full bilinear pooling: x [..., dx], y [..., dy] → vec(x yᵀ) [..., dx·dy], element i·dy + j = x_i y_j.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (_a, [x, y]) => {
    const e = pairShape('outer_product', x!, y!);
    return e ? bad(e) : ok([[...x!.slice(0, -1), lastDim(x!) * lastDim(y!)]]);
  },
  variants: ['input'],
  cost: (_a, [x, y]) => {
    const n = rowsOf(x!) * lastDim(x!) * lastDim(y!);
    return cost(n, 4 * n, sizeOf(x!) + sizeOf(y!));
  },
});

const Eps = t.exact(t.partial({ eps: Epsilon }));

/**
 * Signed square root then L2 normalisation over the last axis:
 * s = sign(v)(√(|v| + ε) − √ε), out = s / √(‖s‖² + ε). Shifting by √ε keeps s continuous and odd
 * with slope 1/(2√ε) at 0, so the gradient is finite everywhere.
 */
export const signedSqrtL2Def = definePrimitive({
  name: 'signed_sqrt_l2',
  doc: 'Power normalisation sign(v)(√(|v|+ε) − √ε) then L2 normalisation s/√(‖s‖²+ε) over the last axis (ε default 1e-8).',
  attrs: Eps,
  attrDocs: { eps: { doc: 'ε of the shifted square root and of the norm', default: 1e-8 } },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => (x!.length < 1 ? bad(`signed_sqrt_l2: input needs rank ≥ 1, got ${showShape(x!)}`) : ok([x!])),
  variants: ['normalised'],
  // Residual: s (same shape as the input) and 1/‖s‖ per row.
  cost: (_a, [x]) => cost(6 * sizeOf(x!), 8 * sizeOf(x!), sizeOf(x!) + rowsOf(x!)),
});

// ---------------------------------------------------------------------------------------------
// Compact bilinear pooling (MCB)

const Int = SafeInt;
const Hashes = t.type({ h1: t.array(Int), s1: t.array(Int), h2: t.array(Int), s2: t.array(Int) });
const McbAttrs = t.intersection([t.type({ d: Dim }), t.partial({ seed: Int, hashes: Hashes })]);
export type McbAttrs = t.TypeOf<typeof McbAttrs>;

/** The two count-sketch hash pairs of an MCB node: h maps an input index to [0, d), s to ±1. */
export interface McbHashes {
  readonly h1: Int32Array;
  readonly s1: Int8Array;
  readonly h2: Int32Array;
  readonly s2: Int8Array;
}

/**
 * Seeded count-sketch hashes for inputs of width dx and dy into d buckets: each of h₁, s₁, h₂, s₂
 * draws from its own generator forked from `seed`, so the same seed always gives the same sketch.
 */
export const mcbHashes = (seed: number, dx: number, dy: number, d: number): McbHashes => {
  const r = rng(seed);
  const draw = (n: number, label: string) => {
    const g = r.fork(label);
    const h = new Int32Array(n);
    for (let i = 0; i < n; i++) h[i] = g.int(d);
    return h;
  };
  const signs = (n: number, label: string) => {
    const g = r.fork(label);
    const s = new Int8Array(n);
    for (let i = 0; i < n; i++) s[i] = g.uniform() < 0.5 ? -1 : 1;
    return s;
  };
  // Forks are taken in a fixed order (the fork label and the parent's stream position both count).
  const h1 = draw(dx, 'h1');
  const s1 = signs(dx, 's1');
  const h2 = draw(dy, 'h2');
  const s2 = signs(dy, 's2');
  return { h1, s1, h2, s2 };
};

const hashProblem = (a: McbAttrs, dx: number, dy: number): string | null => {
  if ((a.seed === undefined) === (a.hashes === undefined)) return 'mcb: give exactly one of attributes seed or hashes';
  if (!a.hashes) return null;
  const { h1, s1, h2, s2 } = a.hashes;
  for (const [nm, arr, n] of [['h1', h1, dx], ['s1', s1, dx], ['h2', h2, dy], ['s2', s2, dy]] as const)
    if (arr.length !== n) return `mcb: attribute hashes.${nm} has length ${arr.length}, expected ${n} (the width of ${nm.endsWith('1') ? 'x' : 'y'})`;
  for (const [nm, arr] of [['h1', h1], ['h2', h2]] as const)
    if (arr.some((v) => v < 0 || v >= a.d)) return `mcb: attribute hashes.${nm} has a bucket outside [0, ${a.d})`;
  for (const [nm, arr] of [['s1', s1], ['s2', s2]] as const)
    if (arr.some((v) => v !== 1 && v !== -1)) return `mcb: attribute hashes.${nm} must hold only +1 and −1`;
  return null;
};

/** The hashes an MCB node uses: its explicit `hashes` attribute, or those drawn from `seed`. */
export const mcbHashesOf = (a: McbAttrs, dx: number, dy: number): McbHashes =>
  a.hashes
    ? {
        h1: Int32Array.from(a.hashes.h1),
        s1: Int8Array.from(a.hashes.s1),
        h2: Int32Array.from(a.hashes.h2),
        s2: Int8Array.from(a.hashes.s2),
      }
    : mcbHashes(a.seed!, dx, dy, a.d);

/** Number of complex bins in the non-redundant half of a real length-d spectrum. */
export const halfSpectrum = (d: number): number => Math.floor(d / 2) + 1;

/**
 * Compact bilinear pooling: Φ(x, y) = IFFT(FFT Ψ₁(x) ⊙ FFT Ψ₂(y)) with count sketches
 * Ψ(x)_b = Σ_{i: h(i)=b} s(i) x_i. Any sketch dimension d (non-powers of two go through
 * Bluestein's FFT). Residual variants: `input` keeps x, y and re-sketches; `sketch` keeps Ψ₁, Ψ₂;
 * `spectra` keeps the half spectra of Ψ₁, Ψ₂ (Hermitian symmetry) and saves two FFTs in backward.
 */
export const mcbDef = definePrimitive({
  name: 'mcb',
  doc: 'Compact bilinear pooling (MCB): circular convolution of count sketches of x and y into d buckets via FFT. Attributes: d, and seed (hashes drawn from it) or explicit hashes {h1, s1, h2, s2}.',
  attrs: McbAttrs,
  attrDocs: {
    d: { doc: 'number of sketch buckets (output width); any length (Bluestein FFT)' },
    seed: { doc: 'draw the count-sketch hashes from this seed (give exactly one of seed and hashes)' },
    hashes: { doc: 'explicit hashes: h1, h2 buckets in [0, d) for x and y, s1, s2 signs ±1 (give exactly one of seed and hashes)' },
  },
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (a, [x, y]) => {
    const e = pairShape('mcb', x!, y!) ?? hashProblem(a, lastDim(x!), lastDim(y!));
    return e ? bad(e) : ok([[...x!.slice(0, -1), a.d]]);
  },
  variants: ['sketch', 'input', 'spectra'],
  twoCells: [
    { from: 'input', to: 'sketch', doc: 'keep the count sketches instead of re-sketching x and y in backward' },
    { from: 'sketch', to: 'spectra', doc: 'keep the sketches’ half spectra instead of re-transforming them in backward' },
  ],
  cost: (a, [x, y], variant) => {
    const rows = rowsOf(x!);
    const d = a.d;
    const sk = sizeOf(x!) + sizeOf(y!);
    const f = fftFlops(d);
    // Forward: sketch, one complex FFT for both real sketches, product, one inverse.
    const fwd = sk + rows * (2 * f + 10 * d);
    // Backward: FFT of g, two products, one inverse for both gradients, gather; plus re-sketching
    // (input) and the sketches' FFT (input, sketch).
    const bwdBase = rows * (2 * f + 14 * d) + sk;
    const bwd = variant === 'spectra' ? bwdBase : variant === 'sketch' ? bwdBase + rows * (f + 4 * d) : bwdBase + rows * (f + 4 * d) + sk;
    const residual = variant === 'input' ? sk : variant === 'sketch' ? 2 * rows * d : 4 * rows * halfSpectrum(d);
    return cost(fwd, bwd, residual);
  },
});

// ---------------------------------------------------------------------------------------------
// Learnt bilinear maps and helpers for the factorised operators

const BilinearAttrs = t.intersection([t.type({ out: Dim }), t.partial({ blocks: Dim })]);

/**
 * A learnt bilinear map z_k = Σ_ij w_ijk x_i y_j, or with `blocks` = n a block-diagonal one: x, y
 * and z are cut into n equal chunks and chunk b of z only sees chunks b of x and y through its own
 * core w[b] (the block-term decomposition of BLOCK). Param w: [n, dx/n, dy/n, out/n].
 */
export const bilinearDef = definePrimitive({
  name: 'bilinear',
  doc: 'Learnt bilinear map z_k = Σ_ij w_ijk x_i y_j, block-diagonal with `blocks` cores (default 1). Param w: [blocks, dx/blocks, dy/blocks, out/blocks].',
  attrs: BilinearAttrs,
  attrDocs: {
    out: { doc: 'output width' },
    blocks: { doc: 'number of diagonal blocks (cores); x, y and out must divide by it', default: 1 },
  },
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (a, [x, y]) => {
    const e = pairShape('bilinear', x!, y!);
    if (e) return bad(e);
    const n = a.blocks ?? 1;
    for (const [nm, v] of [['x width', lastDim(x!)], ['y width', lastDim(y!)], ['attribute out', a.out]] as const)
      if (v % n !== 0) return bad(`bilinear: ${nm} ${v} is not divisible by attribute blocks = ${n}`);
    return ok([[...x!.slice(0, -1), a.out]], { w: [n, lastDim(x!) / n, lastDim(y!) / n, a.out / n] });
  },
  variants: ['input'],
  cost: (a, [x, y]) => {
    const n = a.blocks ?? 1;
    const rows = rowsOf(x!);
    const bx = lastDim(x!) / n;
    const by = lastDim(y!) / n;
    const mac = rows * n * bx * by * (a.out / n);
    return cost(2 * mac + rows * n * bx * by, 4 * mac + 4 * rows * n * bx * by, sizeOf(x!) + sizeOf(y!), (n * bx * by * a.out) / n);
  },
  init: (_a, _p, shape, r) => fanInNormal(shape[1]! * shape[2]!, sizeOf(shape), r),
});

/** Elementwise product of two wires of one shape. */
export const hadamardDef = definePrimitive({
  name: 'hadamard',
  doc: 'Elementwise product of two wires of the same shape.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (_a, [x, y]) =>
    shapeEq(x!, y!) ? ok([x!]) : bad(`hadamard: inputs must have the same shape, got ${showShape(x!)} and ${showShape(y!)}`),
  variants: ['input'],
  cost: (_a, [x]) => cost(sizeOf(x!), 2 * sizeOf(x!), 2 * sizeOf(x!)),
});

/** Sum consecutive groups of k features: [..., n] → [..., n/k]. */
export const sumPoolDef = definePrimitive({
  name: 'sum_pool',
  doc: 'Sum pooling over consecutive groups of k features on the last axis: [..., n] → [..., n/k].',
  attrs: t.exact(t.type({ k: Dim })),
  attrDocs: { k: { doc: 'group size; the last axis must divide by it' } },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (a, [x]) => {
    if (x!.length < 1) return bad(`sum_pool: input needs rank ≥ 1, got ${showShape(x!)}`);
    const n = lastDim(x!);
    return n % a.k === 0 ? ok([[...x!.slice(0, -1), n / a.k]]) : bad(`sum_pool: last axis ${n} is not divisible by attribute k = ${a.k}`);
  },
  variants: ['none'],
  cost: (_a, [x]) => cost(sizeOf(x!), sizeOf(x!), 0),
});

/** Join n wires along the last axis. */
export const concatLastDef = definePrimitive({
  name: 'concat_last',
  doc: 'Concatenate n wires (default 2) along the last axis; all other axes must agree.',
  attrs: t.exact(t.partial({ n: Dim })),
  attrDocs: { n: { doc: 'number of input wires', default: 2 } },
  arity: (a) => ({ inputs: a.n ?? 2, outputs: 1 }),
  shape: (_a, xs) => {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]!.length < 1) return bad(`concat_last: input ${i} needs rank ≥ 1, got ${showShape(xs[i]!)}`);
      if (!shapeEq(xs[i]!.slice(0, -1), xs[0]!.slice(0, -1)))
        return bad(`concat_last: input ${i} ${showShape(xs[i]!)} and input 0 ${showShape(xs[0]!)} must agree on all but the last axis`);
    }
    return ok([[...xs[0]!.slice(0, -1), xs.reduce((s, x) => s + lastDim(x), 0)]]);
  },
  variants: ['none'],
  cost: (_a, xs) => cost(0, 0, 0),
});

// ---------------------------------------------------------------------------------------------
// Operators as terms (two input wires x, y → one output)

/** Options shared by the operator constructors. */
export interface PoolOpts {
  /** Append `signed_sqrt_l2` (default false, so that the operator is bilinear). */
  readonly normalise?: boolean;
  /** ε of the normalisation (default 1e-8). */
  readonly eps?: number;
}

const ssl2 = (o: PoolOpts): Term => prim('signed_sqrt_l2', o.eps !== undefined ? { eps: o.eps } : {});
const norm = (t: Term, o: PoolOpts): Term => (o.normalise ? seq(t, named('norm', ssl2(o))) : t);
const lin = (name: string, out: number): Term => named(name, prim('linear', { out, bias: false }));
const act = (a: 'tanh' | 'none' | undefined): Term => (a === 'tanh' ? prim('tanh') : id(1));

/** Full bilinear pooling: vec(x yᵀ), optionally normalised. Output width dx·dy. */
export const fullBilinear = (o: PoolOpts = {}): Term => norm(named('outer', prim('outer_product')), o);

/** MCB: compact bilinear pooling into `d` buckets with hashes from `seed`. Output width d. */
export const mcbPool = (o: PoolOpts & { d: number; seed: number }): Term =>
  norm(named('mcb', prim('mcb', { d: o.d, seed: o.seed })), o);

/**
 * MLB: Pᵀ(σ(Uᵀx) ∘ σ(Vᵀy)) with U: [dx, rank], V: [dy, rank], P: [rank, out]. With `act: 'none'`
 * it is the bilinear map W_ijk = Σ_r U_ir V_jr P_rk.
 */
export const mlb = (o: PoolOpts & { rank: number; out: number; act?: 'tanh' | 'none' }): Term =>
  norm(seq(par(lin('u', o.rank), lin('v', o.rank)), par(act(o.act ?? 'tanh'), act(o.act ?? 'tanh')), prim('hadamard'), lin('p', o.out)), o);

/** MFB's core: (Uᵀx) ∘ (Vᵀy), [..., out·k], before sum pooling. */
const mfbExpand = (o: { k: number; out: number }, i = ''): Term => seq(par(lin(`u${i}`, o.out * o.k), lin(`v${i}`, o.out * o.k)), prim('hadamard'));

/**
 * MFB: factorised bilinear pooling, z_o = Σ_{c=ok}^{ok+k−1} (Uᵀx)_c (Vᵀy)_c with U: [dx, out·k],
 * V: [dy, out·k]; the bilinear map W_ijo = Σ_c U_ic V_jc of rank k per output.
 */
export const mfb = (o: PoolOpts & { k: number; out: number }): Term => norm(seq(mfbExpand(o), prim('sum_pool', { k: o.k })), o);

/**
 * MFH (order 2): two cascaded MFB blocks; the second multiplies its expanded product by the first's,
 * and the output concatenates both pooled (and, with `normalise`, each normalised) blocks:
 * width 2·out. Only the first block is bilinear; the second has degree 2 in each input.
 */
export const mfh = (o: PoolOpts & { k: number; out: number }): Term => {
  const pool = (nm: string) => (o.normalise ? seq(prim('sum_pool', { k: o.k }), named(nm, ssl2(o))) : prim('sum_pool', { k: o.k }));
  return seq(
    par(copy(2), copy(2)), // x, x, y, y
    permute([0, 2, 1, 3]), // x, y, x, y
    par(named('b1', mfbExpand(o, '1')), named('b2', mfbExpand(o, '2'))), // e1, f2
    par(copy(2), id(1)), // e1, e1, f2
    par(id(1), prim('hadamard')), // e1, e2 = e1 ∘ f2
    par(named('p1', pool('norm1')), named('p2', pool('norm2'))),
    prim('concat_last', { n: 2 }),
  );
};

/**
 * MUTAN: Tucker fusion. Project x → x̃ = σ(W_xᵀx) [tx], y → ỹ = σ(W_yᵀy) [ty]; the core, with
 * rank-R slices, is z = Σ_r (W_x^rᵀ x̃) ∘ (W_y^rᵀ ỹ) [to] (an MFB core with k = R); output W_oᵀ z.
 * With `act: 'none'` this is the bilinear map T = core ×₁ W_x ×₂ W_y ×₃ W_o.
 */
export const mutan = (o: PoolOpts & { tx: number; ty: number; to: number; rank: number; out: number; act?: 'tanh' | 'none' }): Term =>
  norm(
    seq(
      par(lin('wx', o.tx), lin('wy', o.ty)),
      par(act(o.act ?? 'tanh'), act(o.act ?? 'tanh')),
      named('core', seq(mfbExpand({ k: o.rank, out: o.to }), prim('sum_pool', { k: o.rank }))),
      lin('wo', o.out),
    ),
    o,
  );

/**
 * BLOCK: block-term fusion. Project x → x̃ [tx], y → ỹ [ty]; cut both into `blocks` chunks and
 * apply a full bilinear core per chunk ([tx/n, ty/n, to/n] each), concatenated to [to]; output
 * W_oᵀ z. With `act: 'none'` it is bilinear.
 */
export const blockFusion = (o: PoolOpts & { tx: number; ty: number; to: number; blocks: number; out: number; act?: 'tanh' | 'none' }): Term =>
  norm(
    seq(
      par(lin('wx', o.tx), lin('wy', o.ty)),
      par(act(o.act ?? 'none'), act(o.act ?? 'none')),
      named('core', prim('bilinear', { out: o.to, blocks: o.blocks })),
      lin('wo', o.out),
    ),
    o,
  );
