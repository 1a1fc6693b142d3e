/**
 * The primitive constructors of model strings: for each, its token, where it applies, when it is
 * valid (well typed, and every new wire, parameter and residual within the element budget), how it
 * reads its attributes from the following tokens, and its modifiers (`:` key ...) and residual
 * variants (`/` letter).
 *
 * Routing boxes (`I` id, `c` copy, `~` permute, `d` discard) and the brackets are handled by the
 * decoder itself (`decode.ts`); `grammar.ts` prints the table of every token from these.
 */
import '../prims';
import { deltaResidualElems } from '../prims/delta';
import { outerMemoryResidualElems, topkWriteSizes } from '../prims/pmi';
import { MAX_TP_DEGREE } from '../prims/tensor-product';
import { tensorProductPaths } from '../equivariant/products';
import { lookupPrimitive, type PrimitiveDef } from '../term/primitive';
import type { Shape } from '../tensor/shape';
import { type Reader, type Wire, degreeOf, divisors, elems, last, sameLead, sameShape } from './wire';

/** Attributes under construction. */
export type AttrRecord = Record<string, unknown>;

/** A modifier `:` + key character of a primitive constructor. */
export interface ModKey {
  readonly ch: string;
  /** What it does, for the grammar table. */
  readonly doc: string;
  valid(a: AttrRecord, ws: readonly Wire[], maxElems: number): boolean;
  apply(a: AttrRecord, ws: readonly Wire[], r: Reader): AttrRecord;
}

/**
 * A constructor that places one primitive on the wires it is given: all wires of a seq state, or the
 * next wire of a par state (so only one-wire configurations apply there).
 */
export interface PrimCtor {
  readonly ch: string;
  readonly prim: string;
  /** The attribute tokens it reads, for the grammar table. */
  readonly syntax: string;
  valid(ws: readonly Wire[], maxElems: number): boolean;
  read(ws: readonly Wire[], r: Reader): AttrRecord;
  readonly keys?: readonly ModKey[];
  /** One naming character per residual variant, in the primitive's order (`/` + character). */
  readonly variants?: string;
}

/** Widths offered to a token that is not a digit (filtered to the valid ones). */
export const WIDTH_MENU: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
const VOCAB_MENU: readonly number[] = [2, 3, 4, 5, 8, 10, 16, 23, 32, 64];
const CHUNK_MENU: readonly number[] = [1, 2, 4, 8, 16, 32, 64];
/** Largest irrep degree l the tensor products are offered for (last axis (l+1)²). */
export const MAX_STRING_DEGREE = 4;

const shapes = (ws: readonly Wire[]): Shape[] => ws.map((w) => w.shape);
const allReal = (ws: readonly Wire[]): boolean => ws.every((w) => w.ids === 0);
const defOf = (name: string): PrimitiveDef => {
  const d = lookupPrimitive(name);
  if (!d) throw new Error(`strings: primitive '${name}' is not registered`);
  return d;
};
const within = (M: number, ...ss: readonly Shape[]): boolean => ss.every((s) => elems(s) <= M);

const unary = (ch: string, prim: string, minRank = 0, exactRank?: number): PrimCtor => ({
  ch,
  prim,
  syntax: '',
  valid: (ws) => ws.length === 1 && ws[0]!.ids === 0 && ws[0]!.shape.length >= minRank && (exactRank === undefined || ws[0]!.shape.length === exactRank),
  read: () => ({}),
});

const linear = (ch: string, bias: boolean): PrimCtor => ({
  ch,
  prim: 'linear',
  syntax: 'out',
  valid: (ws) => ws.length === 1 && ws[0]!.ids === 0 && ws[0]!.shape.length >= 1,
  read: (ws, r) => {
    const x = ws[0]!.shape;
    const d = last(x);
    const rows = elems(x) / d;
    const out = r.width((v) => rows * v <= r.maxElems && d * v <= r.maxElems, 1, WIDTH_MENU);
    return bias ? { out } : { out, bias: false };
  },
});

// ---------------------------------------------------------------------------------------------
// Attention

/** Sizes of an attention node fixed by its wires (see `attentionDims`), or null if they do not fit together. */
interface AttnGeom {
  readonly B: number;
  readonly Tq: number;
  readonly Tk: number;
  readonly dq: number;
  readonly dkv: number;
}

/** Cross and mask flags from the wires: x; or xq, xkv (real); or x, mask (ids < 2); or xq, xkv, mask. */
const attentionWiring = (ws: readonly Wire[]): { cross?: true; mask?: true } | null => {
  if (ws.length < 1 || ws.length > 3 || ws[0]!.ids !== 0) return null;
  if (ws.length === 1) return {};
  if (ws.length === 2) {
    if (ws[1]!.ids === 0) return { cross: true };
    return ws[1]!.ids <= 2 ? { mask: true } : null;
  }
  return ws[1]!.ids === 0 && ws[2]!.ids > 0 && ws[2]!.ids <= 2 ? { cross: true, mask: true } : null;
};

/** The geometry of attention on these wires (the checks of `attentionDims` that depend on wires only). */
const attnGeom = (ws: readonly Wire[]): AttnGeom | null => {
  const w = attentionWiring(ws);
  if (!w) return null;
  const xq = ws[0]!.shape;
  const xkv = w.cross ? ws[1]!.shape : xq;
  if (xq.length < 2 || xkv.length !== xq.length) return null;
  let B = 1;
  for (let i = 0; i < xq.length - 2; i++) {
    if (xkv[i] !== xq[i]) return null;
    B *= xq[i]!;
  }
  const Tk = xkv[xkv.length - 2]!;
  if (w.mask) {
    const m = ws[ws.length - 1]!.shape;
    if (m.length !== xq.length - 1 || m[m.length - 1] !== Tk) return null;
    for (let i = 0; i < m.length - 1; i++) if (m[i] !== xq[i]) return null;
  }
  return { B, Tq: xq[xq.length - 2]!, Tk, dq: xq[xq.length - 1]!, dkv: xkv[xkv.length - 1]! };
};

/**
 * Every parameter, residual entry (of the larger 'probs' variant) and the output of an attention
 * node within the budget: the sizes of `attentionParams` and `attentionResidualShapes`, computed
 * without building shapes because the decoder asks for every token. `dk` 0 means param 'W'; `dv` 0
 * means no value projection; `out` 0 means no output projection.
 */
const attnSizesOk = (g: AttnGeom, H: number, dk: number, dv: number, out: number, M: number): boolean => {
  const dkey = dk === 0 ? g.dkv : dk;
  const dval = dv === 0 ? g.dkv : dv;
  const width = out === 0 ? H * dval : out;
  return (
    g.B * g.Tq * width <= M &&
    (dk === 0 ? H * g.dkv * g.dq : Math.max(g.dq, g.dkv) * H * dk) <= M &&
    g.dkv * H * dv <= M &&
    (out === 0 ? 0 : H * dval * out) <= M &&
    g.B * Math.max(g.Tq * g.dq, g.Tk * g.dkv) <= M &&
    g.B * Math.max(g.Tq, g.Tk) * H * Math.max(dkey, dval) <= M &&
    g.B * H * g.Tq * g.Tk <= M
  );
};

/** The sizes of `attnSizesOk` from attributes. */
const attentionFits = (a: AttrRecord, ws: readonly Wire[], M: number): boolean => {
  const g = attnGeom(ws);
  if (!g || (a.causal === true && g.Tq !== g.Tk)) return false;
  const out = a.project === false ? 0 : ((a.out as number | undefined) ?? g.dq);
  return attnSizesOk(g, a.heads as number, a.param === 'W' ? 0 : (a.dk as number), a.values === false ? 0 : (a.dv as number), out, M);
};

const attentionKeys: readonly ModKey[] = [
  {
    ch: 'b',
    doc: 'b<block> key block size of the blocked kernels',
    valid: () => true,
    apply: (a, _ws, r) => ({ ...a, block: r.width((v) => v <= 4096, 1, [8, 16, 32, 64]) }),
  },
  {
    ch: 'c',
    doc: 'c causal (needs equal query and key lengths)',
    valid: (a, ws, M) => attentionFits({ ...a, causal: true }, ws, M),
    apply: (a) => ({ ...a, causal: true }),
  },
  {
    ch: 'n',
    doc: 'n no value projection (the values are the key/value tokens; dv is dropped)',
    valid: (a, ws, M) => attentionFits({ ...a, values: false }, ws, M),
    apply: (a) => {
      const { dv: _dv, ...rest } = a;
      return { ...rest, values: false };
    },
  },
  {
    ch: 'o',
    doc: 'o<out> output width (default the query width)',
    valid: (a, ws, M) => attentionFits({ ...a, out: 1 }, ws, M),
    apply: (a, ws, r) => ({ ...a, out: r.width((v) => attentionFits({ ...a, out: v }, ws, r.maxElems), 1, WIDTH_MENU) }),
  },
  {
    ch: 'p',
    doc: 'p no output projection (the output is the heads side by side)',
    valid: (a, ws, M) => attentionFits({ ...a, project: false }, ws, M),
    apply: (a) => ({ ...a, project: false }),
  },
];

const attention = (ch: string, param: 'KQ' | 'W'): PrimCtor => ({
  ch,
  prim: 'attention',
  syntax: param === 'KQ' ? '<heads>,<dk>,<dv>' : '<heads>,<dv>',
  valid: (ws, M) => {
    const g = attnGeom(ws);
    return g !== null && attnSizesOk(g, 1, param === 'KQ' ? 1 : 0, 1, g.dq, M);
  },
  read: (ws, r) => {
    const w = attentionWiring(ws)!;
    const g = attnGeom(ws)!;
    const M = r.maxElems;
    const kq = param === 'KQ';
    const heads = r.width((h) => attnSizesOk(g, h, kq ? 1 : 0, 1, g.dq, M), 1, [1, 2, 3, 4]);
    const dk = kq ? r.width((v) => attnSizesOk(g, heads, v, 1, g.dq, M), 1, WIDTH_MENU) : 0;
    const dv = r.width((v) => attnSizesOk(g, heads, dk, v, g.dq, M), 1, WIDTH_MENU);
    return kq ? { heads, dk, dv, ...w } : { heads, param: 'W', dv, ...w };
  },
  keys: attentionKeys,
  variants: 'pl',
});

// ---------------------------------------------------------------------------------------------
// Delta rule

const deltaDef = () => defOf('delta_rule');

/** The delta rule on q, k, v, β logits, S0 (heads from β's last axis), within the budget. */
const deltaFits = (a: AttrRecord, ws: readonly Wire[], M: number): boolean => {
  if (ws.length !== 5 || !allReal(ws)) return false;
  const ss = shapes(ws);
  const r = deltaDef().shape(a, ss);
  if (r._tag === 'Left') return false;
  if (!within(M, ...r.right.outputs)) return false;
  return deltaResidualElems(a as never, ss, 'all-states') <= M;
};

const delta: PrimCtor = {
  ch: 'D',
  prim: 'delta_rule',
  syntax: '',
  valid: (ws, M) => ws.length === 5 && ws[3]!.shape.length === 3 && deltaFits({ heads: ws[3]!.shape[2]! }, ws, M),
  read: (ws) => ({ heads: ws[3]!.shape[2]! }),
  keys: [
    { ch: 'b', doc: 'b β = 2·sigmoid, in [0, 2] (negative eigenvalues)', valid: () => true, apply: (a) => ({ ...a, betaRange: '[0,2]' }) },
    { ch: 'c', doc: 'c the chunkwise (WY) algorithm', valid: () => true, apply: (a) => ({ ...a, algorithm: 'chunkwise' }) },
    { ch: 'k', doc: 'k<chunk> chunk size', valid: () => true, apply: (a, _ws, r) => ({ ...a, chunk: r.width((v) => v <= 4096, 1, CHUNK_MENU) }) },
  ],
  variants: 'acn',
};

/** The outer-product memory on q, k, v, M0 (heads from M0's second axis), within the budget. */
const outerMemoryFits = (a: AttrRecord, ws: readonly Wire[], M: number): boolean => {
  if (ws.length !== 4 || !allReal(ws) || ws[3]!.shape.length !== 4) return false;
  const ss = shapes(ws);
  const r = defOf('outer_memory').shape(a, ss);
  if (r._tag === 'Left' || !within(M, ...r.right.outputs)) return false;
  return outerMemoryResidualElems(a as never, ss, 'all-states') <= M;
};

const outerMemory: PrimCtor = {
  ch: 'H',
  prim: 'outer_memory',
  syntax: '',
  valid: (ws, M) => ws.length === 4 && ws[3]!.shape.length === 4 && outerMemoryFits({ heads: ws[3]!.shape[1]! }, ws, M),
  read: (ws) => ({ heads: ws[3]!.shape[1]! }),
  keys: [{ ch: 'k', doc: 'k<chunk> spacing of the chunk-states residual', valid: () => true, apply: (a, _ws, r) => ({ ...a, chunk: r.width((v) => v <= 4096, 1, CHUNK_MENU) }) }],
  variants: 'acn',
};

/** Heads that divide both the q/k and the v features of a top-k write's wires. */
const topkHeads = (ws: readonly Wire[]): number[] => divisors(last(ws[0]!.shape)).filter((h) => last(ws[2]!.shape) % h === 0);

const topkWrite: PrimCtor = {
  ch: 'K',
  prim: 'topk_write',
  syntax: '<heads>,<k>',
  valid: (ws, M) => {
    if (ws.length !== 3 || !allReal(ws) || ws.some((w) => w.shape.length !== 3)) return false;
    const ss = shapes(ws);
    const r = defOf('topk_write').shape({ heads: 1, k: 1 }, ss);
    if (r._tag === 'Left' || !within(M, ...r.right.outputs)) return false;
    const { B, S, H, K } = topkWriteSizes({ heads: 1, k: ss[1]![1]! }, ss);
    return 2 * B * H * S * K <= M;
  },
  read: (ws, r) => ({ heads: r.oneOf(topkHeads(ws)), k: r.range(1, ws[1]!.shape[1]!) }),
};

// ---------------------------------------------------------------------------------------------
// Tensor products

/** l1, l2 of two irrep wires [..., C, (l+1)²] with equal leading axes, or null. */
const irreps = (ws: readonly Wire[]): { l1: number; l2: number } | null => {
  if (ws.length !== 2 || !allReal(ws)) return null;
  const [x, y] = [ws[0]!.shape, ws[1]!.shape];
  if (x.length < 2 || !sameLead(x, y)) return null;
  const l1 = degreeOf(last(x));
  const l2 = degreeOf(last(y));
  if (l1 < 0 || l2 < 0 || l1 > MAX_STRING_DEGREE || l2 > MAX_STRING_DEGREE || l1 + l2 > MAX_TP_DEGREE) return null;
  return { l1, l2 };
};

const loutOf = (a: AttrRecord): number => (a.lout as number | undefined) ?? (a.l1 as number) + (a.l2 as number);

/** A tensor product with these attributes fits the budget and (dense) has at least one path. */
const tpFits = (prim: string, a: AttrRecord, ws: readonly Wire[], M: number): boolean => {
  const x = ws[0]!.shape;
  const lo = loutOf(a);
  const out: Shape = [...x.slice(0, -1), (lo + 1) ** 2];
  if (!within(M, out)) return false;
  const C = x[x.length - 2]!;
  const rows = elems(x) / last(x);
  if (prim === 'tensor_product') {
    const paths = tensorProductPaths(a.l1 as number, a.l2 as number, lo, (a.coupling as 'cg' | 'gaunt' | undefined) ?? 'cg').length;
    if (paths === 0) return false;
    if ((a.weights ?? 'path') === 'path' && C * paths > M) return false;
  } else {
    const l1 = a.l1 as number;
    const l2 = a.l2 as number;
    if (2 * rows * ((2 * l1 + 1) ** 2 + (2 * l2 + 1) ** 2) + rows * (lo + 1) ** 2 + elems(x) + elems(ws[1]!.shape) > M) return false;
  }
  return C * (lo + 1) <= M;
};

const loutKey = (prim: string): ModKey => ({
  ch: 'o',
  doc: 'o<lout> output degree (default l1 + l2)',
  valid: () => true,
  apply: (a, ws, r) => {
    const ok: number[] = [];
    for (let l = 0; l <= (a.l1 as number) + (a.l2 as number); l++) if (tpFits(prim, { ...a, lout: l }, ws, r.maxElems)) ok.push(l);
    return ok.length ? { ...a, lout: r.oneOf(ok) } : a;
  },
});

const tensorProduct: PrimCtor = {
  ch: 'T',
  prim: 'tensor_product',
  syntax: '',
  valid: (ws, M) => {
    const l = irreps(ws);
    return l !== null && tpFits('tensor_product', { ...l, lout: 0 }, ws, M);
  },
  read: (ws, r) => {
    const l = irreps(ws)!;
    // The default output degree l1 + l2 may not fit the budget: then the largest that does.
    for (let lo = l.l1 + l.l2; lo >= 0; lo--) if (tpFits('tensor_product', { ...l, lout: lo }, ws, r.maxElems)) return { ...l, lout: lo };
    return { ...l, lout: 0 };
  },
  keys: [
    { ch: 'd', doc: 'd weights by degree (w1, w2, w3)', valid: (a, ws, M) => tpFits('tensor_product', { ...a, weights: 'degree' }, ws, M), apply: (a) => ({ ...a, weights: 'degree' }) },
    { ch: 'g', doc: 'g Gaunt coupling instead of Clebsch–Gordan', valid: (a, ws, M) => tpFits('tensor_product', { ...a, coupling: 'gaunt' }, ws, M), apply: (a) => ({ ...a, coupling: 'gaunt' }) },
    { ch: 'n', doc: 'n no weights', valid: (a, ws, M) => tpFits('tensor_product', { ...a, weights: 'none' }, ws, M), apply: (a) => ({ ...a, weights: 'none' }) },
    // Keeps the coupling and weights already chosen: only output degrees with a path qualify.
    loutKey('tensor_product'),
  ],
};

const gaunt: PrimCtor = {
  ch: 'G',
  prim: 'gaunt_tensor_product',
  syntax: '',
  valid: (ws, M) => {
    const l = irreps(ws);
    return l !== null && tpFits('gaunt_tensor_product', { ...l, lout: 0 }, ws, M);
  },
  read: (ws, r) => {
    const l = irreps(ws)!;
    for (let lo = l.l1 + l.l2; lo >= 0; lo--) if (tpFits('gaunt_tensor_product', { ...l, lout: lo }, ws, r.maxElems)) return { ...l, lout: lo };
    return { ...l, lout: 0 };
  },
  keys: [
    { ch: 'n', doc: 'n no weights', valid: () => true, apply: (a) => ({ ...a, weights: 'none' }) },
    loutKey('gaunt_tensor_product'),
  ],
  variants: 'ig',
};

// ---------------------------------------------------------------------------------------------
// Pooling and other two-wire primitives

/** Two real wires of rank ≥ 1 agreeing on every axis but the last. */
const pair = (ws: readonly Wire[]): boolean => ws.length === 2 && allReal(ws) && sameLead(ws[0]!.shape, ws[1]!.shape);
const rowsOf = (s: Shape): number => elems(s) / last(s);

const mcbFits = (x: Shape, d: number, M: number): boolean => {
  const rows = rowsOf(x);
  return rows * d <= M && 4 * rows * (Math.floor(d / 2) + 1) <= M;
};

const mcb: PrimCtor = {
  ch: 'M',
  prim: 'mcb',
  syntax: '<d>,<seed>',
  valid: (ws, M) => pair(ws) && mcbFits(ws[0]!.shape, 1, M),
  read: (ws, r) => {
    const d = r.width((v) => mcbFits(ws[0]!.shape, v, r.maxElems), 1, [8, 16, 32, 64, 100, 128]);
    const seed = r.range(0, 2 ** 31 - 1);
    return { d, seed };
  },
  variants: 'kis',
};

const bilinearFits = (ws: readonly Wire[], out: number, blocks: number, M: number): boolean => {
  const [x, y] = [ws[0]!.shape, ws[1]!.shape];
  return rowsOf(x) * out <= M && (last(x) * last(y) * out) / (blocks * blocks) <= M;
};

const bilinear: PrimCtor = {
  ch: 'B',
  prim: 'bilinear',
  syntax: '<out>',
  valid: (ws, M) => pair(ws) && bilinearFits(ws, 1, 1, M),
  read: (ws, r) => ({ out: r.width((v) => bilinearFits(ws, v, 1, r.maxElems), 1, WIDTH_MENU) }),
  keys: [
    {
      ch: 'b',
      doc: 'b<blocks> block-diagonal with this many cores (divides both widths and out)',
      valid: () => true,
      apply: (a, ws, r) => {
        const [x, y] = [ws[0]!.shape, ws[1]!.shape];
        const out = a.out as number;
        const common = divisors(out).filter((b) => last(x) % b === 0 && last(y) % b === 0);
        return { ...a, blocks: r.oneOf(common) };
      },
    },
  ],
};

const hadamard: PrimCtor = {
  ch: '*',
  prim: 'hadamard',
  syntax: '',
  valid: (ws) => ws.length === 2 && allReal(ws) && sameShape(ws[0]!.shape, ws[1]!.shape),
  read: () => ({}),
};

const outer: PrimCtor = {
  ch: 'o',
  prim: 'outer_product',
  syntax: '',
  valid: (ws, M) => pair(ws) && elems(ws[0]!.shape) * last(ws[1]!.shape) <= M,
  read: () => ({}),
};

const add: PrimCtor = {
  ch: '+',
  prim: 'add',
  syntax: '',
  valid: (ws) => ws.length >= 2 && allReal(ws) && ws.every((w) => sameShape(w.shape, ws[0]!.shape)),
  read: (ws) => ({ n: ws.length }),
};

const concat: PrimCtor = {
  ch: 'k',
  prim: 'concat_last',
  syntax: '',
  valid: (ws, M) => {
    if (ws.length < 2 || !allReal(ws)) return false;
    let width = 0;
    for (const w of ws) {
      if (!sameLead(w.shape, ws[0]!.shape)) return false;
      width += last(w.shape);
    }
    return rowsOf(ws[0]!.shape) * width <= M;
  },
  read: (ws) => ({ n: ws.length }),
};

const mse: PrimCtor = {
  ch: 'm',
  prim: 'mse',
  syntax: '',
  valid: (ws) => ws.length === 2 && allReal(ws) && sameShape(ws[0]!.shape, ws[1]!.shape),
  read: () => ({}),
};

const xent: PrimCtor = {
  ch: 'X',
  prim: 'softmax_xent',
  syntax: '',
  valid: (ws) => {
    if (ws.length !== 2 || ws[0]!.ids !== 0 || ws[1]!.ids === 0) return false;
    const x = ws[0]!.shape;
    return x.length >= 1 && ws[1]!.ids <= last(x) && sameShape(x.slice(0, -1), ws[1]!.shape);
  },
  read: () => ({}),
};

const embedding: PrimCtor = {
  ch: 'E',
  prim: 'embedding',
  syntax: '<vocab>,<dim>',
  valid: (ws, M) => ws.length === 1 && ws[0]!.ids > 0 && ws[0]!.ids <= M && elems(ws[0]!.shape) <= M,
  read: (ws, r) => {
    const n = elems(ws[0]!.shape);
    const vocab = r.width((v) => v <= r.maxElems, ws[0]!.ids, VOCAB_MENU);
    const dim = r.width((v) => n * v <= r.maxElems && vocab * v <= r.maxElems, 1, WIDTH_MENU);
    return { vocab, dim };
  },
};

/** Largest rank a reshape may ask for. */
export const MAX_RESHAPE_RANK = 6;

const reshape: PrimCtor = {
  ch: 'R',
  prim: 'reshape',
  syntax: '<rank>,<d1>,…',
  valid: (ws) => ws.length === 1 && ws[0]!.ids === 0,
  read: (ws, r) => {
    let rest = elems(ws[0]!.shape);
    const rank = r.range(rest === 1 ? 0 : 1, MAX_RESHAPE_RANK);
    if (rank === 0) return { shape: [] };
    const shape: number[] = [];
    for (let i = 0; i < rank - 1; i++) {
      const d = r.oneOf(divisors(rest));
      shape.push(d);
      rest /= d;
    }
    shape.push(rest);
    return { shape };
  },
};

const sumPool: PrimCtor = {
  ch: 'u',
  prim: 'sum_pool',
  syntax: '<k>',
  valid: (ws) => ws.length === 1 && ws[0]!.ids === 0 && ws[0]!.shape.length >= 1,
  read: (ws, r) => ({ k: r.oneOf(divisors(last(ws[0]!.shape))) }),
};

/** Every primitive constructor. */
export const PRIM_CTORS: readonly PrimCtor[] = [
  unary('r', 'relu'),
  unary('g', 'gelu'),
  unary('t', 'tanh'),
  unary('s', 'sigmoid'),
  unary('w', 'silu'),
  unary('x', 'softmax', 1),
  unary('N', 'layernorm', 1),
  unary('n', 'rmsnorm', 1),
  unary('q', 'signed_sqrt_l2', 1),
  unary('P', 'last_position', 3, 3),
  linear('L', true),
  linear('l', false),
  embedding,
  reshape,
  sumPool,
  attention('A', 'KQ'),
  attention('W', 'W'),
  delta,
  outerMemory,
  topkWrite,
  tensorProduct,
  gaunt,
  mcb,
  bilinear,
  hadamard,
  outer,
  add,
  concat,
  mse,
  xent,
];

/** The registered description of each constructor's primitive (looked up once). */
export const primDef = (c: PrimCtor): PrimitiveDef => defOf(c.prim);
