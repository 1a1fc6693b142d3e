import { describe, expect, it } from 'vitest';
import {
  allStatesSource,
  backSubstitute,
  chunkBackward,
  chunkForward,
  deltaRule,
  forwardSubstitute,
  headGrads,
  type HeadSeq,
  lastPosition,
  recurrentBackward,
  recurrentForward,
  segmentSource,
  wyFactors,
} from '../backends/js/kernels/delta';
import { deltaShapes } from '../laws/delta';
import { deltaRuleDef, lastPositionDef } from '../src/prims/delta';
import { checkOrThrow, type HostTensor, prim, primNodeOrThrow, rng, twoCellKey, type TypedPrim } from '../src/index';

/**
 * The JS delta-rule kernels called directly, against plain references written here: the recurrence in
 * its matrix form S_t = (I − β_t k_t k_tᵀ) S_{t−1} + β_t k_t v_tᵀ, o_t = S_tᵀ q_t; gradients by central
 * differences of ⟨dO, o⟩ + ⟨dS_T, S_T⟩; dense triangular solves; and, for the kernel, the
 * normalisation (with its floor), β = s·σ(l) and the [B, T, H·d] layout worked out per head.
 */

const head = (T: number, dk: number, dv: number, seed: number): HeadSeq => {
  const r = rng(seed);
  const unit = (): Float64Array => {
    const x = Float64Array.from({ length: T * dk }, () => r.normal());
    for (let t = 0; t < T; t++) {
      const n = Math.hypot(...x.subarray(t * dk, (t + 1) * dk));
      for (let i = 0; i < dk; i++) x[t * dk + i]! /= n;
    }
    return x;
  };
  return { T, dk, dv, q: unit(), k: unit(), v: Float64Array.from({ length: T * dv }, () => r.normal()), beta: Float64Array.from({ length: T }, () => 2 * r.uniform()) };
};
const normals = (n: number, seed: number): Float64Array => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
};

/** The recurrence in matrix form; `round` rounds the state before every step t with t % every = 0. */
const reference = (s: HeadSeq, S0: ArrayLike<number>, round?: { every: number; to: (x: number) => number }) => {
  const { T, dk, dv } = s;
  let S = Array.from(S0);
  const states: number[] = [];
  const o: number[] = [];
  for (let t = 0; t < T; t++) {
    if (round && t % round.every === 0) S = S.map(round.to);
    states.push(...S);
    const k = s.k.subarray(t * dk, (t + 1) * dk);
    const b = s.beta[t]!;
    const next: number[] = [];
    for (let i = 0; i < dk; i++)
      for (let j = 0; j < dv; j++) {
        let m = 0; // ((I − β k kᵀ) S)_ij
        for (let x = 0; x < dk; x++) m += ((i === x ? 1 : 0) - b * k[i]! * k[x]!) * S[x * dv + j]!;
        next.push(m + b * k[i]! * s.v[t * dv + j]!);
      }
    S = next;
    for (let j = 0; j < dv; j++) {
      let a = 0;
      for (let i = 0; i < dk; i++) a += S[i * dv + j]! * s.q[t * dk + i]!;
      o.push(a);
    }
  }
  return { o, states, ST: S };
};

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void => {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) throw new Error(`${what}[${i}]: ${got[i]} against ${want[i]}`);
};

/** Gradients of ⟨dO, o⟩ + ⟨dS_T, S_T⟩ in q, k, v, β and S_0 by central differences of the reference. */
const numericGrads = (s: HeadSeq, S0: Float64Array, dO: Float64Array, dST: Float64Array) => {
  const loss = (): number => {
    const r = reference(s, S0);
    let l = 0;
    r.o.forEach((x, i) => (l += x * dO[i]!));
    r.ST.forEach((x, i) => (l += x * dST[i]!));
    return l;
  };
  const grad = (a: Float64Array): number[] =>
    Array.from(a, (_, i) => {
      const x = a[i]!;
      const h = 1e-6;
      a[i] = x + h;
      const up = loss();
      a[i] = x - h;
      const down = loss();
      a[i] = x;
      return (up - down) / (2 * h);
    });
  return { dq: grad(s.q), dk: grad(s.k), dv: grad(s.v), dbeta: grad(s.beta), dS0: grad(S0) };
};

describe('delta-core forward passes against the matrix-form recurrence', () => {
  const [T, dk, dv] = [5, 3, 2];
  const s = head(T, dk, dv, 1);
  const S0 = normals(dk * dv, 2);
  const ref = reference(s, S0);

  it('recurrentForward: outputs (over a dirty buffer), S_T, and the states kept every 1 and every 2 steps', () => {
    const o = new Float64Array(T * dv).fill(7);
    const all = new Float64Array(T * dk * dv);
    close(recurrentForward(s, S0, o, { every: 1, out: all }), ref.ST, 1e-12, 'S_T');
    close(o, ref.o, 1e-12, 'o');
    close(all, ref.states, 1e-12, 'every state');
    const every2 = new Float64Array(3 * dk * dv);
    recurrentForward(s, S0, new Float64Array(T * dv), { every: 2, out: every2 });
    close(every2, [0, 2, 4].flatMap((t) => ref.states.slice(t * dk * dv, (t + 1) * dk * dv)), 1e-12, 'states 0, 2, 4');
    // S0 is copied, not written.
    expect([...S0]).toEqual([...normals(dk * dv, 2)]);
  });

  it('recurrentForward rounds the running state before steps 0, 2, 4 (and only then)', () => {
    const S0r = Float64Array.from(S0, (x) => x / 3);
    const want = reference(s, S0r, { every: 2, to: Math.fround });
    const o = new Float64Array(T * dv);
    const kept = new Float32Array(3 * dk * dv);
    const ST = recurrentForward(s, S0r, o, { every: 2, out: kept }, { every: 2, to: Math.fround });
    close(ST, want.ST, 1e-13, 'S_T');
    close(o, want.o, 1e-13, 'o');
    close(kept, [0, 2, 4].flatMap((t) => want.states.slice(t * dk * dv, (t + 1) * dk * dv)), 1e-13, 'kept');
    // Not vacuous: rounding at every step, or never, gives other outputs at this tolerance.
    for (const other of [reference(s, S0r), reference(s, S0r, { every: 1, to: Math.fround })])
      expect(() => close(o, other.o, 1e-13, 'o')).toThrow();
  });

  for (const C of [1, 2, 3, 8])
    it(`chunkForward, chunk ${C}: outputs, S_T, chunk-start and every-step states`, () => {
      const o = new Float64Array(T * dv);
      const nB = Math.ceil(T / C);
      const bounds = new Float64Array(nB * dk * dv);
      close(chunkForward(s, S0, C, o, { bounds }), ref.ST, 1e-12, 'S_T');
      close(o, ref.o, 1e-12, 'o');
      close(bounds, Array.from({ length: nB }, (_, c) => ref.states.slice(c * C * dk * dv, (c * C + 1) * dk * dv)).flat(), 1e-12, 'bounds');
      const all = new Float64Array(T * dk * dv);
      const o2 = new Float64Array(T * dv).fill(7);
      chunkForward(s, S0, C, o2, { all });
      close(all, ref.states, 1e-12, 'all');
      close(o2, ref.o, 1e-12, 'o over a dirty buffer');
    });

  it('chunkForward with zero entries in k (skipped updates) still matches', () => {
    const z = { ...s, k: Float64Array.from(s.k, (x, i) => (i % 4 === 1 ? 0 : x)) };
    const o = new Float64Array(T * dv);
    close(chunkForward(z, S0, 2, o), reference(z, S0).ST, 1e-12, 'S_T');
    close(o, reference(z, S0).o, 1e-12, 'o');
  });

  it('wyFactors: A = tril(β_i k_i·k_j), (I + A) W = diag(β) K, (I + A) U = diag(β) V, at an offset chunk', () => {
    const [t0, c, C] = [1, 3, 4];
    const A = new Float64Array(C * C);
    const W = new Float64Array(C * dk);
    const U = new Float64Array(C * dv);
    wyFactors(s, t0, c, C, A, W, U);
    for (let i = 0; i < c; i++)
      for (let j = 0; j < C; j++) {
        let d = 0;
        for (let x = 0; x < dk; x++) d += s.k[(t0 + i) * dk + x]! * s.k[(t0 + j) * dk + x]!;
        expect(A[i * C + j]).toBeCloseTo(j < i ? s.beta[t0 + i]! * d : 0, 14);
      }
    const check = (X: Float64Array, R: Float64Array, n: number) => {
      for (let i = 0; i < c; i++)
        for (let y = 0; y < n; y++) {
          let a = X[i * n + y]!;
          for (let j = 0; j < i; j++) a += A[i * C + j]! * X[j * n + y]!;
          expect(a).toBeCloseTo(s.beta[t0 + i]! * R[(t0 + i) * n + y]!, 13);
        }
    };
    check(W, s.k, dk);
    check(U, s.v, dv);
  });

  it('forwardSubstitute and backSubstitute solve (I + A) X = R and (I + A)ᵀ X = R (lda > c)', () => {
    const [c, lda, n] = [4, 6, 2];
    const A = new Float64Array(lda * lda);
    const r = rng(9);
    for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) A[i * lda + j] = i === 2 && j === 0 ? 0 : r.normal();
    // Entries outside the strict lower triangle of the leading c×c block must be ignored.
    for (let i = 0; i < lda; i++) for (let j = i < c ? i : 0; j < lda; j++) A[i * lda + j] = 100 + i + j;
    const R = normals(c * n, 10);
    const X = Float64Array.from(R);
    forwardSubstitute(A, lda, X, c, n);
    const Y = Float64Array.from(R);
    backSubstitute(A, lda, Y, c, n);
    for (let i = 0; i < c; i++)
      for (let y = 0; y < n; y++) {
        let f = X[i * n + y]!;
        let b = Y[i * n + y]!;
        for (let j = 0; j < i; j++) f += A[i * lda + j]! * X[j * n + y]!;
        for (let j = i + 1; j < c; j++) b += A[j * lda + i]! * Y[j * n + y]!;
        expect(f).toBeCloseTo(R[i * n + y]!, 13);
        expect(b).toBeCloseTo(R[i * n + y]!, 13);
      }
    // Rows past c are left alone.
    const long = Float64Array.from({ length: (c + 1) * n }, (_, i) => i + 1);
    forwardSubstitute(A, lda, long, c, n);
    backSubstitute(A, lda, long, c, n);
    expect([...long.subarray(c * n)]).toEqual([c * n + 1, c * n + 2]);
  });
});

describe('delta-core backward passes against central differences', () => {
  const [T, dk, dv] = [5, 3, 2];
  const s = head(T, dk, dv, 3);
  const S0 = normals(dk * dv, 4);
  const dO = normals(T * dv, 5);
  const dST = normals(dk * dv, 6);
  const want = numericGrads(s, S0, dO, dST);
  const ref = reference(s, S0);
  const expectGrads = (g: ReturnType<typeof headGrads>, dS0: Float64Array, what: string) => {
    close(g.dq, want.dq, 1e-7, `${what} dq`);
    close(g.dk, want.dk, 1e-7, `${what} dk`);
    close(g.dv, want.dv, 1e-7, `${what} dv`);
    close(g.dbeta, want.dbeta, 1e-7, `${what} dβ`);
    close(dS0, want.dS0, 1e-7, `${what} dS_0`);
  };

  it('headGrads: zeroed arrays of the gradient sizes', () => {
    const g = headGrads(T, dk, dv);
    expect([g.dq.length, g.dk.length, g.dv.length, g.dbeta.length]).toEqual([T * dk, T * dk, T * dv, T]);
  });

  it('recurrentBackward from every kept state', () => {
    const g = headGrads(T, dk, dv);
    expectGrads(g, recurrentBackward(s, allStatesSource(Float64Array.from(ref.states), dk, dv), dO, dST, g), 'all states');
  });

  for (const every of [1, 2, 3, 5])
    it(`recurrentBackward from states recomputed every ${every} steps (segmentSource)`, () => {
      const bounds = Float64Array.from(Array.from({ length: Math.ceil(T / every) }, (_, c) => ref.states.slice(c * every * dk * dv, (c * every + 1) * dk * dv)).flat());
      const g = headGrads(T, dk, dv);
      expectGrads(g, recurrentBackward(s, segmentSource(s, bounds, every), dO, dST, g), `every ${every}`);
    });

  for (const C of [1, 2, 3, 8])
    it(`chunkBackward, chunk ${C}`, () => {
      const nB = Math.ceil(T / C);
      const bounds = new Float64Array(nB * dk * dv);
      chunkForward(s, S0, C, new Float64Array(T * dv), { bounds });
      const g = headGrads(T, dk, dv);
      expectGrads(g, chunkBackward(s, bounds, C, dO, dST, g), `chunk ${C}`);
    });

  it('segmentSource gives S_{t−1} for t = T−1 … 0, recomputed and rounded by `round`', () => {
    const bounds = Float64Array.from([0, 2, 4].flatMap((t) => ref.states.slice(t * dk * dv, (t + 1) * dk * dv)));
    const src = segmentSource(s, bounds, 2, Math.fround);
    for (let t = T - 1; t >= 0; t--) {
      const st = [...src(t)];
      close(st, ref.states.slice(t * dk * dv, (t + 1) * dk * dv), 1e-7, `state ${t}`);
      expect(st.map(Math.fround), `state ${t} rounded`).toEqual(st);
    }
    const plain = segmentSource(s, bounds, 2);
    for (let t = T - 1; t >= 0; t--) close(plain(t), ref.states.slice(t * dk * dv, (t + 1) * dk * dv), 1e-12, `state ${t}`);
  });
});

// ---- the kernel: layout, normalisation, β, variants ----

const NORM_FLOOR = 1e-6;
const sigma = (x: number): number => 1 / (1 + Math.exp(-x));

const nodeOf = (attrs: Record<string, unknown>, shapes: number[][], variant: string) =>
  primNodeOrThrow(deltaRuleDef, checkOrThrow(prim('delta_rule', attrs, { variant }), shapes).root as TypedPrim);

/** The kernel's output computed here: per head, normalise (floored), β = s·σ(l), the matrix-form recurrence. */
const kernelReference = (d: { B: number; T: number; H: number; dk: number; dv: number }, x: HostTensor[], scale: number) => {
  const { B, T, H, dk, dv } = d;
  const o = new Float64Array(B * T * H * dv);
  const sT = new Float64Array(B * H * dk * dv);
  const states: number[][] = [];
  const at = (t: HostTensor, b: number, tt: number, h: number, w: number): number[] => Array.from(t.data.subarray(((b * T + tt) * H + h) * w, ((b * T + tt) * H + h + 1) * w));
  const unit = (r: number[]): number[] => {
    const n = Math.max(Math.hypot(...r), NORM_FLOOR);
    return r.map((y) => y / n);
  };
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const rows = (t: HostTensor, w: number, f: (r: number[]) => number[] = (r) => r) => Float64Array.from(Array.from({ length: T }, (_, tt) => f(at(t, b, tt, h, w))).flat());
      const s: HeadSeq = { T, dk, dv, q: rows(x[0]!, dk, unit), k: rows(x[1]!, dk, unit), v: rows(x[2]!, dv), beta: rows(x[3]!, 1, ([l]) => [scale * sigma(l!)]) };
      const bh = b * H + h;
      const r = reference(s, x[4]!.data.subarray(bh * dk * dv, (bh + 1) * dk * dv));
      for (let tt = 0; tt < T; tt++) o.set(r.o.slice(tt * dv, (tt + 1) * dv), ((b * T + tt) * H + h) * dv);
      sT.set(r.ST, bh * dk * dv);
      states.push(r.states);
    }
  return { o, sT, states };
};

describe('JS delta_rule kernel, directly', () => {
  const d = { B: 2, T: 3, H: 2, dk: 2, dv: 3 };
  const shapes = deltaShapes(d) as number[][];
  const inputs = (seed: number): HostTensor[] => shapes.map((sh, i) => ({ shape: sh, data: normals(sh.reduce((a, b) => a * b, 1), seed + i) }));
  const x = inputs(20);
  // One query row below the norm floor (batch 1, step 2, head 0), one key row exactly zero.
  x[0]!.data.set([3e-7, -4e-7], ((1 * 3 + 2) * 2 + 0) * 2);
  x[1]!.data.set([0, 0], ((0 * 3 + 1) * 2 + 1) * 2);

  for (const algorithm of ['recurrent', 'chunkwise'] as const)
    for (const betaRange of ['[0,1]', '[0,2]'] as const)
      for (const [variant, kept] of [['all-states', [0, 1, 2]], ['chunk-states', [0, 2]], ['none', [0]]] as const)
        it(`${algorithm}, β ∈ ${betaRange}, ${variant}: outputs, final state and kept states per head (floored norms)`, () => {
          const n = nodeOf({ heads: 2, algorithm, chunk: 2, betaRange }, shapes, variant);
          const ref = kernelReference(d, x, betaRange === '[0,2]' ? 2 : 1);
          const { outputs, residual } = deltaRule.forward(n, {}, x);
          close(outputs[0]!.data, ref.o, 1e-12, 'o');
          close(outputs[1]!.data, ref.sT, 1e-12, 'S_T');
          expect(residual.states!.shape).toEqual([2, 2, kept.length, 2, 3]);
          close(residual.states!.data, ref.states.flatMap((st) => kept.flatMap((t) => st.slice(t * 6, (t + 1) * 6))), 1e-12, 'states');
          // The floored row is x / floor, not a unit vector.
          expect([...residual.qn!.data.subarray(20, 22)]).toEqual([3e-7 / NORM_FLOOR, -4e-7 / NORM_FLOOR]);
          expect([...residual.qnorm!.data.subarray(10, 11), ...residual.knorm!.data.subarray(3, 4)]).toEqual([NORM_FLOOR, NORM_FLOOR]);
        });

  it('β from extreme logits: s at +800, s·e^−720 (subnormal, not 0) at −720, s/2 at 0', () => {
    const y = x.map((t) => ({ shape: t.shape, data: Float64Array.from(t.data) }));
    y[3]!.data.set([800, -720, 0]);
    const n = nodeOf({ heads: 2, betaRange: '[0,2]' }, shapes, 'all-states');
    const { outputs, residual } = deltaRule.forward(n, {}, y);
    expect([...residual.beta!.data.subarray(0, 3)]).toEqual([2, 2 * Math.exp(-720), 1]);
    expect(residual.beta!.data[1]).toBeGreaterThan(0);
    expect(outputs[0]!.data.every(Number.isFinite)).toBe(true);
  });

  for (const algorithm of ['recurrent', 'chunkwise'] as const)
    for (const variant of ['all-states', 'chunk-states', 'none'])
      it(`${algorithm}, ${variant}: backward against central differences of the forward (a floored row, a zero key, β ∈ [0,2])`, () => {
        const n = nodeOf({ heads: 2, algorithm, chunk: 2, betaRange: '[0,2]' }, shapes, variant);
        const seeds = [normals(36, 40), normals(24, 41)];
        const loss = (z: HostTensor[]): number => {
          const { outputs } = deltaRule.forward(n, {}, z);
          let l = 0;
          outputs.forEach((t, i) => t.data.forEach((v, j) => (l += v * seeds[i]![j]!)));
          return l;
        };
        const { residual } = deltaRule.forward(n, {}, x);
        const { dInputs } = deltaRule.backward(n, {}, residual, [{ shape: [2, 3, 6], data: seeds[0]! }, { shape: [2, 2, 2, 3], data: seeds[1]! }]);
        expect(dInputs).toHaveLength(5);
        const z = x.map((t) => ({ shape: t.shape, data: Float64Array.from(t.data) }));
        z.forEach((t, i) =>
          t.data.forEach((v, j) => {
            // Steps that stay on the same side of the norm floor.
            const h = Math.abs(v) < 1e-5 ? 1e-10 : 1e-6;
            t.data[j] = v + h;
            const up = loss(z);
            t.data[j] = v - h;
            const down = loss(z);
            t.data[j] = v;
            const fd = (up - down) / (2 * h);
            const got = dInputs[i]!.data[j]!;
            if (!(Math.abs(got - fd) <= 1e-6 * (1 + Math.abs(fd)))) throw new Error(`input ${i}[${j}]: ${got} against ${fd}`);
          }),
        );
      });

  it('the 2-cells none ⇒ chunk-states ⇒ all-states rebuild what those variants keep, bit for bit (float32 and float64)', () => {
    for (const f32 of [false, true])
      for (const algorithm of ['recurrent', 'chunkwise'] as const) {
        const z = x.map((t) => ({ shape: t.shape, data: f32 ? Float32Array.from(t.data) : Float64Array.from(t.data) }));
        const attrs = { heads: 2, algorithm, chunk: 2 };
        const run = (v: string) => deltaRule.forward(nodeOf(attrs, shapes, v), {}, z).residual;
        const none = run('none');
        const chunk = deltaRule.twoCells![twoCellKey('none', 'chunk-states')]!.r(nodeOf(attrs, shapes, 'none'), {}, none);
        const all = deltaRule.twoCells![twoCellKey('chunk-states', 'all-states')]!.r(nodeOf(attrs, shapes, 'chunk-states'), {}, chunk);
        for (const [got, v] of [[chunk, 'chunk-states'], [all, 'all-states']] as const) {
          const want = run(v).states!;
          expect(got.states!.shape, `${algorithm} ${v}`).toEqual(want.shape);
          expect(got.states!.data.constructor).toBe(want.data.constructor);
          expect([...got.states!.data], `${algorithm} ${v} f32=${f32}`).toEqual([...want.data]);
          expect(got.qn).toBe(none.qn);
        }
      }
  });
});

describe('JS delta_rule kernel runs the chosen algorithm', () => {
  const d = { B: 2, T: 5, H: 2, dk: 2, dv: 3 };
  const shapes = deltaShapes(d) as number[][];
  const x: HostTensor[] = shapes.map((sh, i) => ({ shape: sh, data: normals(sh.reduce((a, b) => a * b, 1), 60 + i) }));
  const dOut: HostTensor[] = [
    { shape: [2, 5, 6], data: normals(60, 70) },
    { shape: [2, 2, 2, 3], data: normals(24, 71) },
  ];
  /** Head h of batch b of a [B, T, H·w] tensor, gathered here. */
  const rowsOf = (t: ArrayLike<number>, b: number, h: number, w: number): Float64Array =>
    Float64Array.from({ length: d.T * w }, (_, j) => t[((b * d.T + Math.floor(j / w)) * d.H + h) * w + (j % w)]!);
  const run = (algorithm: 'recurrent' | 'chunkwise') => {
    const n = nodeOf({ heads: 2, algorithm, chunk: 2 }, shapes, 'chunk-states');
    const f = deltaRule.forward(n, {}, x);
    return { ...f, back: deltaRule.backward(n, {}, f.residual, dOut) };
  };
  // The core passes on the kernel's own normalised rows, β and kept chunk starts (so the bits agree).
  // (The kernels run inside the test: per-test coverage credits only code a test runs.)
  const core = (kernels: Record<'recurrent' | 'chunkwise', ReturnType<typeof run>>, algorithm: 'recurrent' | 'chunkwise', b: number, h: number) => {
    const r = kernels.chunkwise.residual;
    const s: HeadSeq = { T: d.T, dk: 2, dv: 3, q: rowsOf(r.qn!.data, b, h, 2), k: rowsOf(r.kn!.data, b, h, 2), v: rowsOf(r.v!.data, b, h, 3), beta: rowsOf(r.beta!.data, b, h, 1) };
    const bh = b * 2 + h;
    const S0 = x[4]!.data.subarray(bh * 6, (bh + 1) * 6);
    const o = new Float64Array(d.T * 3);
    const kept = r.states!.data.subarray(bh * 3 * 6, (bh + 1) * 3 * 6);
    const g = headGrads(d.T, 2, 3);
    const dST = dOut[1]!.data.subarray(bh * 6, (bh + 1) * 6);
    if (algorithm === 'recurrent') {
      recurrentForward(s, S0, o);
      return { o, dv: g.dv, dS0: recurrentBackward(s, segmentSource(s, kept, 2), rowsOf(dOut[0]!.data, b, h, 3), dST, g) };
    }
    chunkForward(s, S0, 2, o);
    return { o, dv: g.dv, dS0: chunkBackward(s, kept, 2, rowsOf(dOut[0]!.data, b, h, 3), dST, g) };
  };

  it('outputs, dv and dS_0 are, bit for bit, those of the core pass of that algorithm, and the two algorithms differ in their last bits', () => {
    const kernels = { recurrent: run('recurrent'), chunkwise: run('chunkwise') };
    let differ = 0;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++) {
        const bh = b * 2 + h;
        const want = { recurrent: core(kernels, 'recurrent', b, h), chunkwise: core(kernels, 'chunkwise', b, h) };
        for (const a of ['recurrent', 'chunkwise'] as const) {
          const k = kernels[a];
          expect([...rowsOf(k.outputs[0]!.data, b, h, 3)], `${a} o`).toEqual([...want[a].o]);
          expect([...rowsOf(k.back.dInputs[2]!.data, b, h, 3)], `${a} dv`).toEqual([...want[a].dv]);
          expect([...k.back.dInputs[4]!.data.subarray(bh * 6, (bh + 1) * 6)], `${a} dS0`).toEqual([...want[a].dS0]);
        }
        for (const key of ['o', 'dv', 'dS0'] as const) differ += want.recurrent[key].filter((v, i) => v !== want.chunkwise[key][i]).length;
      }
    expect(differ).toBeGreaterThan(0);
  });

  it('float32: every residual variant gives the same gradients, bit for bit (states rounded at chunk starts)', () => {
    const e = { B: 1, T: 12, H: 1, dk: 4, dv: 4 };
    const sh = deltaShapes(e) as number[][];
    const z = sh.map((s, i) => ({ shape: s, data: Float32Array.from(normals(s.reduce((a, b) => a * b, 1), 80 + i)) }));
    const dz = [
      { shape: [1, 12, 4], data: Float32Array.from(normals(48, 90)) },
      { shape: [1, 1, 4, 4], data: Float32Array.from(normals(16, 91)) },
    ];
    for (const algorithm of ['recurrent', 'chunkwise'] as const) {
      const grads = ['all-states', 'chunk-states', 'none'].map((v) => {
        const n = nodeOf({ heads: 1, algorithm, chunk: 4, betaRange: '[0,2]' }, sh, v);
        const { outputs, residual } = deltaRule.forward(n, {}, z);
        expect(residual.states!.data).toBeInstanceOf(Float32Array);
        return [...outputs, ...deltaRule.backward(n, {}, residual, dz).dInputs].map((t) => [...t!.data]);
      });
      expect(grads[1], `${algorithm} chunk-states`).toEqual(grads[0]);
      expect(grads[2], `${algorithm} none`).toEqual(grads[0]);
    }
  });
});

describe('JS last_position kernel', () => {
  const n = primNodeOrThrow(lastPositionDef, checkOrThrow(prim('last_position', {}), [[3, 3, 2]]).root as TypedPrim);
  it('forward takes step T−1 of each sequence; backward puts dy there and zeros elsewhere', () => {
    const xs = { shape: [3, 3, 2], data: Float64Array.from({ length: 18 }, (_, i) => i + 1) };
    expect([...lastPosition.forward(n, {}, [xs]).outputs[0]!.data]).toEqual([5, 6, 11, 12, 17, 18]);
    const { dInputs } = lastPosition.backward(n, {}, {}, [{ shape: [3, 2], data: Float64Array.of(1, 2, 3, 4, 5, 6) }]);
    expect(dInputs[0]!.shape).toEqual([3, 3, 2]);
    expect([...dInputs[0]!.data]).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6]);
  });
});
