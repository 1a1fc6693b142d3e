import { type AttentionAttrs, type AttentionDims, attentionDef, attentionDims } from '../../../src/prims/attention';
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type TypedPrim, primNodeOrThrow } from '../../../src/term/check';
import { type DType, type FArray, alloc, dtypeOf } from '../../../src/tensor/tensor';
import type { Shape } from '../../../src/tensor/shape';
import { jsKernel, type JsTensor } from '../kernel';
import { matmul, matmulNT, matmulTN } from './linalg';

// ---------------------------------------------------------------------------------------------
// Allocation accounting. Every array this kernel creates (outputs, residual, gradients and
// scratch) goes through `buf`, so a test can check that the 'lse' variant never allocates
// anything of size Tq·Tk: its total is linear in T, the 'probs' variant's quadratic.
// Nothing is freed explicitly (the GC owns memory), so the total per call bounds the peak.

let allocated = 0;
let largest = 0;

/** Floats allocated by the JS attention kernel since the last reset, and the largest single array. */
export const attentionAllocStats = (): { floats: number; largest: number } => ({ floats: allocated, largest });

/** Reset the allocation counters of the JS attention kernel. */
export const resetAttentionAllocStats = (): void => {
  allocated = 0;
  largest = 0;
};

const buf = (dt: DType, n: number): FArray => {
  allocated += n;
  if (n > largest) largest = n;
  return alloc(dt, n);
};
const tensorOf = (dt: DType, shape: Shape): JsTensor => ({ shape: [...shape], data: buf(dt, shape.reduce((a, b) => a * b, 1)) });

// Rounding to the storage precision. Both variants (and the 2-cell map) compute P from the
// *stored* log-sum-exp and round P to the storage precision, so they agree bit for bit in
// float32 as well as float64.
const rounder = (dt: DType): ((x: number) => number) => (dt === 'float32' ? Math.fround : (x: number) => x);

const dims = (node: TypedPrim<AttentionAttrs>): AttentionDims => {
  const g = attentionDims(node.attrs, node.inputs);
  // The checker ran the same function, so this only fires if a kernel is handed an unchecked node.
  if (typeof g === 'string') throw new RangeError(`attention: ${g}`);
  return g;
};

/** Where head h of row r lives in a [rows, stride] array whose heads sit `head` apart (0 = shared). */
interface View {
  readonly a: FArray;
  readonly stride: number;
  readonly head: number;
}

/** Keys and values as views: projected arrays, or the raw tokens when W / values:false is used. */
const kvViews = (g: AttentionDims, xkv: FArray, k: FArray | undefined, v: FArray | undefined): { kv: View; vv: View } => ({
  kv: g.combined ? { a: xkv, stride: g.dkv, head: 0 } : { a: k!, stride: g.H * g.dkey, head: g.dkey },
  vv: g.values ? { a: v!, stride: g.H * g.dv, head: g.dv } : { a: xkv, stride: g.dkv, head: 0 },
});

const checkMask = (m: FArray): void => {
  for (let i = 0; i < m.length; i++)
    if (m[i] !== 0 && m[i] !== 1) throw new RangeError(`attention: mask entry ${i} is ${m[i]}; the key-padding mask must hold 0 or 1`);
};

/** The one score function both variants and the 2-cell map use, so recomputation is exact. */
const score = (q: FArray, qo: number, k: FArray, ko: number, n: number, scale: number): number => {
  let s = 0;
  for (let j = 0; j < n; j++) s += q[qo + j]! * k[ko + j]!;
  return scale * s;
};

/** Is key u visible from query t in batch b? */
const visible = (g: AttentionDims, mask: FArray | undefined, b: number, t: number, u: number): boolean =>
  (!g.causal || u <= t) && (mask === undefined || mask[b * g.Tk + u] === 1);

/**
 * Blocked forward core (online softmax over key blocks, one query row at a time). Writes the
 * concatenated head outputs into `o` and the rounded row log-sum-exp into `lse`; if `p` is given
 * (variant 'probs') also writes P. Scratch: a score block and an accumulator (O(block + dv)),
 * plus one score row of length Tk for 'probs' (whose residual is Tq·Tk anyway).
 */
const forwardCore = (
  g: AttentionDims,
  dt: DType,
  q: FArray,
  kv: View,
  vv: View,
  mask: FArray | undefined,
  o: FArray,
  lse: FArray,
  p: FArray | undefined,
): void => {
  const { B, H, Tq, Tk, dkey, dv, block, scale } = g;
  const round = rounder(dt);
  const sc = buf('float64', block);
  const acc = buf('float64', dv);
  const srow = p ? buf('float64', Tk) : undefined;
  const qStride = H * dkey;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < Tq; t++) {
        const qo = (b * Tq + t) * qStride + h * dkey;
        const oo = (b * Tq + t) * H * dv + h * dv;
        acc.fill(0);
        let m = -Infinity;
        let l = 0;
        const kend = g.causal ? t + 1 : Tk;
        for (let k0 = 0; k0 < kend; k0 += block) {
          const k1 = Math.min(kend, k0 + block);
          let bm = -Infinity;
          for (let u = k0; u < k1; u++) {
            const s = visible(g, mask, b, t, u) ? score(q, qo, kv.a, (b * Tk + u) * kv.stride + h * kv.head, dkey, scale) : -Infinity;
            sc[u - k0] = s;
            if (srow) srow[u] = s;
            if (s > bm) bm = s;
          }
          if (bm === -Infinity) continue; // the whole block is masked: nothing to add
          const mNew = Math.max(m, bm);
          const corr = Math.exp(m - mNew); // m = −∞ on the first visible block gives 0, not NaN
          l *= corr;
          for (let j = 0; j < dv; j++) acc[j] *= corr;
          for (let u = k0; u < k1; u++) {
            const s = sc[u - k0]!;
            if (s === -Infinity) continue;
            const e = Math.exp(s - mNew);
            l += e;
            const vo = (b * Tk + u) * vv.stride + h * vv.head;
            for (let j = 0; j < dv; j++) acc[j] += e * vv.a[vo + j]!;
          }
          m = mNew;
        }
        const li = (b * H + h) * Tq + t;
        if (l === 0) {
          // Fully masked row: output zeros, lse = −∞, P row zeros (never NaN).
          lse[li] = -Infinity;
          for (let j = 0; j < dv; j++) o[oo + j] = 0;
          if (p) p.fill(0, li * Tk, li * Tk + Tk);
          continue;
        }
        for (let j = 0; j < dv; j++) o[oo + j] = acc[j]! / l;
        const L = round(m + Math.log(l));
        lse[li] = L;
        if (p && srow) for (let u = 0; u < Tk; u++) p[li * Tk + u] = u < kend && srow[u] !== -Infinity ? round(Math.exp(srow[u]! - L)) : 0;
      }
};

/**
 * Blocked backward core. For each query row, P over one key block is read from `p` ('probs') or
 * recomputed from the score and the stored lse ('lse'); the rest of the arithmetic is shared, so
 * the two variants give bit-identical gradients. Accumulates dq (into `dq`), dk and dv (into views
 * that may alias the input gradient when keys/values are the raw tokens).
 */
const backwardCore = (
  g: AttentionDims,
  dt: DType,
  q: FArray,
  kv: View,
  vv: View,
  mask: FArray | undefined,
  o: FArray,
  dO: FArray,
  lse: FArray | undefined,
  p: FArray | undefined,
  dq: FArray,
  dk: View,
  dvw: View,
): void => {
  const { B, H, Tq, Tk, dkey, dv, block, scale } = g;
  const round = rounder(dt);
  const pb = buf('float64', block);
  const dqRow = buf('float64', dkey);
  const qStride = H * dkey;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < Tq; t++) {
        const li = (b * H + h) * Tq + t;
        const L = lse ? lse[li]! : 0;
        if (lse && L === -Infinity) continue; // fully masked row: no gradient flows
        const qo = (b * Tq + t) * qStride + h * dkey;
        /** Apply the gradient `ds` of score (t, u) to dq_t and dk_u. */
        const scoreGrad = (ds: number, u: number): void => {
          const ko = (b * Tk + u) * kv.stride + h * kv.head;
          const dko = (b * Tk + u) * dk.stride + h * dk.head;
          for (let j = 0; j < dkey; j++) {
            dqRow[j] += ds * kv.a[ko + j]!;
            dk.a[dko + j] += ds * q[qo + j]!;
          }
        };
        const oo = (b * Tq + t) * H * dv + h * dv;
        let D = 0;
        for (let j = 0; j < dv; j++) D += dO[oo + j]! * o[oo + j]!;
        dqRow.fill(0);
        // Saturated rows: for the key with P > 1/2 (there is at most one), P·(dp − D) cancels
        // catastrophically (D ≈ dp there), leaving rounding noise far larger than the true value.
        // The score gradients of a row sum to zero exactly, so that key's is set to minus the sum
        // of the others, which are accurate. Mathematically identical; numerically it keeps
        // gradients meaningful when attention has converged to one token.
        let heavy = -1;
        let dsOthers = 0;
        const kend = g.causal ? t + 1 : Tk;
        for (let k0 = 0; k0 < kend; k0 += block) {
          const k1 = Math.min(kend, k0 + block);
          for (let u = k0; u < k1; u++) {
            if (!visible(g, mask, b, t, u)) pb[u - k0] = -1; // marker: skipped
            else if (p) pb[u - k0] = p[li * Tk + u]!;
            else pb[u - k0] = round(Math.exp(score(q, qo, kv.a, (b * Tk + u) * kv.stride + h * kv.head, dkey, scale) - L));
          }
          for (let u = k0; u < k1; u++) {
            const pu = pb[u - k0]!;
            if (pu < 0) continue;
            const vo = (b * Tk + u) * vv.stride + h * vv.head;
            let dp = 0;
            for (let j = 0; j < dv; j++) dp += dO[oo + j]! * vv.a[vo + j]!;
            const dvo = (b * Tk + u) * dvw.stride + h * dvw.head;
            for (let j = 0; j < dv; j++) dvw.a[dvo + j] += pu * dO[oo + j]!;
            if (pu > 0.5) {
              heavy = u;
              continue;
            }
            const ds = scale * pu * (dp - D);
            dsOthers += ds;
            scoreGrad(ds, u);
          }
        }
        if (heavy >= 0) scoreGrad(-dsOthers, heavy);
        for (let j = 0; j < dkey; j++) dq[qo + j] = dqRow[j]!;
      }
};

const inputsOf = (g: AttentionDims, inputs: readonly JsTensor[]) => ({
  xq: inputs[0]!,
  xkv: g.cross ? inputs[1]! : inputs[0]!,
  mask: g.mask ? inputs[inputs.length - 1]! : undefined,
});

export const attention = jsKernel(attentionDef, {
  forward: (node, params, inputs) => {
    const g = dims(node);
    const { xq, xkv, mask } = inputsOf(g, inputs);
    if (mask) checkMask(mask.data);
    const dt = dtypeOf(xq.data);
    const rq = g.B * g.Tq;
    const rk = g.B * g.Tk;
    const q = buf(dt, rq * g.H * g.dkey);
    // W form: q_t = W_h xq_t for every head at once, since w [H, dkv, dq] is [H·dkv, dq] row-major.
    if (g.combined) matmulNT(xq.data, params.w!.data, q, rq, g.dq, g.H * g.dkv);
    else matmul(xq.data, params.wq!.data, q, rq, g.dq, g.H * g.dkey);
    let k: FArray | undefined;
    if (!g.combined) {
      k = buf(dt, rk * g.H * g.dkey);
      matmul(xkv.data, params.wk!.data, k, rk, g.dkv, g.H * g.dkey);
    }
    let v: FArray | undefined;
    if (g.values) {
      v = buf(dt, rk * g.H * g.dv);
      matmul(xkv.data, params.wv!.data, v, rk, g.dkv, g.H * g.dv);
    }
    const { kv, vv } = kvViews(g, xkv.data, k, v);
    const o = buf(dt, rq * g.H * g.dv);
    const lse = buf(dt, g.B * g.H * g.Tq);
    const probs = node.variant === 'probs';
    const p = probs ? buf(dt, g.B * g.H * g.Tq * g.Tk) : undefined;
    forwardCore(g, dt, q, kv, vv, mask?.data, o, lse, p);
    const oT: JsTensor = { shape: [rq, g.H * g.dv], data: o };
    let y: JsTensor;
    if (g.project) {
      y = tensorOf(dt, node.outputs[0]!);
      matmul(o, params.wo!.data, y.data, rq, g.H * g.dv, g.out);
    } else y = { shape: [...node.outputs[0]!], data: o };
    const residual: Record<string, JsTensor> = g.cross ? { xq, xkv } : { x: xq };
    if (mask) residual.mask = mask;
    residual.q = { shape: [rq, g.H * g.dkey], data: q };
    if (k) residual.k = { shape: [rk, g.H * g.dkey], data: k };
    if (v) residual.v = { shape: [rk, g.H * g.dv], data: v };
    residual.o = oT;
    if (p) residual.p = { shape: [g.B, g.H, g.Tq, g.Tk], data: p };
    else residual.lse = { shape: [g.B, g.H, g.Tq], data: lse };
    return { outputs: [y], residual };
  },

  backward: (node, params, r, [dy]) => {
    const g = dims(node);
    const xq = g.cross ? r.xq! : r.x!;
    const xkv = g.cross ? r.xkv! : r.x!;
    const dt = dtypeOf(xq.data);
    const rq = g.B * g.Tq;
    const rk = g.B * g.Tk;
    const o = r.o!.data;
    const dParams: Record<string, JsTensor> = {};
    let dO: FArray;
    if (g.project) {
      dO = buf(dt, rq * g.H * g.dv);
      matmulNT(dy!.data, params.wo!.data, dO, rq, g.out, g.H * g.dv);
      const dwo = tensorOf(dt, params.wo!.shape);
      matmulTN(o, dy!.data, dwo.data, rq, g.H * g.dv, g.out);
      dParams.wo = dwo;
    } else dO = dy!.data;
    // Input gradients: one buffer for self-attention (x feeds queries, keys and values).
    const dxq = tensorOf(dt, xq.shape);
    const dxkv = g.cross ? tensorOf(dt, xkv.shape) : dxq;
    const dq = buf(dt, rq * g.H * g.dkey);
    const dkA = g.combined ? undefined : buf(dt, rk * g.H * g.dkey);
    const dvA = g.values ? buf(dt, rk * g.H * g.dv) : undefined;
    const { kv, vv } = kvViews(g, xkv.data, r.k?.data, r.v?.data);
    const dkView = kvViews(g, dxkv.data, dkA, dvA);
    backwardCore(g, dt, r.q!.data, kv, vv, r.mask?.data, o, dO, r.lse?.data, r.p?.data, dq, dkView.kv, dkView.vv);
    if (g.combined) {
      matmul(dq, params.w!.data, dxq.data, rq, g.H * g.dkv, g.dq, true);
      const dw = tensorOf(dt, params.w!.shape);
      matmulTN(dq, xq.data, dw.data, rq, g.H * g.dkv, g.dq);
      dParams.w = dw;
    } else {
      matmulNT(dq, params.wq!.data, dxq.data, rq, g.H * g.dkey, g.dq, true);
      const dwq = tensorOf(dt, params.wq!.shape);
      matmulTN(xq.data, dq, dwq.data, rq, g.dq, g.H * g.dkey);
      dParams.wq = dwq;
      matmulNT(dkA!, params.wk!.data, dxkv.data, rk, g.H * g.dkey, g.dkv, true);
      const dwk = tensorOf(dt, params.wk!.shape);
      matmulTN(xkv.data, dkA!, dwk.data, rk, g.dkv, g.H * g.dkey);
      dParams.wk = dwk;
    }
    if (g.values) {
      matmulNT(dvA!, params.wv!.data, dxkv.data, rk, g.H * g.dv, g.dkv, true);
      const dwv = tensorOf(dt, params.wv!.shape);
      matmulTN(xkv.data, dvA!, dwv.data, rk, g.dkv, g.H * g.dv);
      dParams.wv = dwv;
    }
    const dInputs: (JsTensor | null)[] = g.cross ? [dxq, dxkv] : [dxq];
    if (g.mask) dInputs.push(null);
    return { dInputs, dParams };
  },
  twoCells: { [twoCellKey('lse', 'probs')]: { r: (node, _p, m) => lseToProbs(node, m) } },
});

/**
 * The 2-cell map r of the `attention` primitive on the JS backend: turns the residual of the
 * 'lse' variant into the residual of the 'probs' variant by recomputing
 * `P = exp(scale·q kᵀ − lse)` (masked entries 0). With (T1) the 'probs' forward keeps exactly
 * `r(m)`, bit for bit; with (T2) the 'probs' backward on `r(m)` equals the 'lse' backward on `m`.
 */
export const attentionLseToProbs = (node: TypedPrim, m: Residual<JsTensor>): Residual<JsTensor> => lseToProbs(primNodeOrThrow(attentionDef, node), m);

const lseToProbs = (node: TypedPrim<AttentionAttrs>, m: Residual<JsTensor>): Residual<JsTensor> => {
  const g = dims(node);
  if (!m.lse) throw new RangeError(`attention: attentionLseToProbs needs an 'lse' residual (it has ${Object.keys(m).join(', ')})`);
  const xkv = g.cross ? m.xkv! : m.x!;
  const q = m.q!.data;
  const dt = dtypeOf(q);
  const round = rounder(dt);
  const { kv } = kvViews(g, xkv.data, m.k?.data, m.v?.data);
  const lse = m.lse.data;
  const mask = m.mask?.data;
  const p = buf(dt, g.B * g.H * g.Tq * g.Tk);
  const qStride = g.H * g.dkey;
  for (let b = 0; b < g.B; b++)
    for (let h = 0; h < g.H; h++)
      for (let t = 0; t < g.Tq; t++) {
        const li = (b * g.H + h) * g.Tq + t;
        const L = lse[li]!;
        const qo = (b * g.Tq + t) * qStride + h * g.dkey;
        for (let u = 0; u < g.Tk; u++)
          p[li * g.Tk + u] =
            L !== -Infinity && visible(g, mask, b, t, u)
              ? round(Math.exp(score(q, qo, kv.a, (b * g.Tk + u) * kv.stride + h * kv.head, g.dkey, g.scale) - L))
              : 0;
      }
  const out: Record<string, JsTensor> = {};
  for (const [name, v] of Object.entries(m)) if (name !== 'lse') out[name] = v;
  out.p = { shape: [g.B, g.H, g.Tq, g.Tk], data: p };
  return out;
};
