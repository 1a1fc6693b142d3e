import { describe, expect, it } from 'vitest';
import { runPrim } from '../laws/pmi';
import { jsBackend } from '../src/index';

/**
 * The JS `topk_write` kernel on scores near ±400, where exp(score) overflows or underflows: its
 * softmax subtracts the largest selected score, so outputs and gradients stay finite and equal the
 * softmax worked out here (mutation survivor of backends/js/kernels/pmi.ts: `s_j − s_0` → `s_j + s_0`).
 */
const f64 = jsBackend('float64');
const host = (shape: number[], xs: number[]) => ({ shape, data: Float64Array.from(xs) });

describe('topk_write with scores near ±400', () => {
  // One query, three keys, dk = 1 (scale 1), K = 2: the two largest of q·k_n.
  const cases = [
    { q: 20, k: [20, 19.95, 0.5], top: [0, 1] }, // scores 400, 399, 10
    { q: -20, k: [20, 19.95, 25], top: [1, 0] }, // scores −400, −399, −500
  ];
  for (const { q: qv, k: kv, top } of cases) {
    it(`q = ${qv}, keys ${kv}: output and gradients finite and equal to the softmax by hand`, () => {
      const q = host([1, 1, 1], [qv]);
      const k = host([1, 3, 1], kv);
      const v = host([1, 3, 2], [1, 2, 3, 5, 7, 11]);
      const dO = host([1, 1, 2], [1, -1]);
      const run = runPrim(f64, 'topk_write', { heads: 1, k: 2 }, 'selected', [q, k, v], [dO]);
      const s = top.map((n) => qv * kv[n]!);
      const e = [1, Math.exp(s[1]! - s[0]!)];
      const p = [e[0]! / (e[0]! + e[1]!), e[1]! / (e[0]! + e[1]!)];
      const val = (n: number, c: number) => v.data[n * 2 + c]!;
      const o = [0, 1].map((c) => p[0]! * val(top[0]!, c) + p[1]! * val(top[1]!, c));
      expect(run.outputs[0]!.data[0]).toBeCloseTo(o[0]!, 12);
      expect(run.outputs[0]!.data[1]).toBeCloseTo(o[1]!, 12);
      // dp_j = do·v_j; ds_j = p_j (dp_j − Σ p dp); dq = Σ ds_j k_j, dk_j = ds_j q, dv_j = p_j do.
      const dp = top.map((n) => val(n, 0) - val(n, 1));
      const dot = p[0]! * dp[0]! + p[1]! * dp[1]!;
      const ds = [p[0]! * (dp[0]! - dot), p[1]! * (dp[1]! - dot)];
      expect(run.dInputs[0]!.data[0]).toBeCloseTo(ds[0]! * kv[top[0]!]! + ds[1]! * kv[top[1]!]!, 9);
      const dk = [0, 0, 0];
      const dv = [0, 0, 0, 0, 0, 0];
      top.forEach((n, j) => {
        dk[n] = ds[j]! * qv;
        dv[2 * n] = p[j]!;
        dv[2 * n + 1] = -p[j]!;
      });
      dk.forEach((x, n) => expect(run.dInputs[1]!.data[n], `dk ${n}`).toBeCloseTo(x, 9));
      dv.forEach((x, n) => expect(run.dInputs[2]!.data[n], `dv ${n}`).toBeCloseTo(x, 12));
    });
  }
});
