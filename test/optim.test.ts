import { describe, expect, it } from 'vitest';
import { adam, sgd, type HostTensor, type Optimizer } from '../src/index';

/**
 * Optimisers against their closed-form updates: on a fixed gradient g, the first three steps of SGD
 * (with and without momentum, with decoupled weight decay), Adam and AdamW equal the formulas below,
 * entry by entry. Written against the public `sgd`/`adam` and one `step` adapter, so a change in
 * how an optimiser is applied touches only `stepper`.
 */
type Params = Record<string, HostTensor>;

/** Apply `opt` repeatedly from `p0`: each call takes the gradient and returns the next parameters. */
const stepper = <S>(opt: Optimizer<S>, p0: Params) => {
  let state = opt.init(p0);
  let params: Params = p0;
  return (g: Params): Params => {
    [state, params] = opt.put([state, params], g);
    return opt.get([state, params]);
  };
};

const t64 = (shape: number[], xs: number[]): HostTensor => ({ shape, data: Float64Array.from(xs) });
const p0: Params = { 'a.w': t64([2, 3], [0.5, -1.2, 3, 0, 2.5, -0.25]), b: t64([4], [1, -1, 0.1, 7]) };
// Mixed signs and magnitudes, and one zero entry (Adam must leave that parameter's update at 0).
const g: Params = { 'a.w': t64([2, 3], [0.3, -0.02, 1.5, -4, 0, 0.7]), b: t64([4], [-1e-3, 2, -0.6, 0.05]) };

/** Check `got` against `want(k, i)` for every entry of every parameter. */
const expectEntries = (got: Params, want: (k: string, i: number) => number, what: string) => {
  expect(Object.keys(got).sort(), what).toEqual(Object.keys(p0).sort());
  for (const [k, t] of Object.entries(got)) {
    expect(t.shape, `${what}: shape of ${k}`).toEqual(p0[k]!.shape);
    t.data.forEach((v, i) => {
      const w = want(k, i);
      expect(Math.abs(v - w), `${what}: ${k}[${i}] = ${v}, expected ${w}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
    });
  }
};
const P = (k: string, i: number) => p0[k]!.data[i]!;
const G = (k: string, i: number) => g[k]!.data[i]!;

describe('optimisers equal their closed-form updates for three steps on a fixed gradient', () => {
  it('SGD: p_t = p_0 − t·lr·g', () => {
    const lr = 0.1;
    const step = stepper(sgd({ lr }), p0);
    for (let t = 1; t <= 3; t++) expectEntries(step(g), (k, i) => P(k, i) - t * lr * G(k, i), `step ${t}`);
  });

  it('SGD with momentum μ: v_t = μv_{t−1} + g, p_t = p_{t−1} − lr·v_t, so p_t = p_0 − lr·g·Σ_{s≤t}(1 − μ^s)/(1 − μ)', () => {
    const [lr, mu] = [0.05, 0.9];
    const step = stepper(sgd({ lr, momentum: mu }), p0);
    for (let t = 1; t <= 3; t++) {
      let sum = 0;
      for (let s = 1; s <= t; s++) sum += (1 - mu ** s) / (1 - mu);
      expectEntries(step(g), (k, i) => P(k, i) - lr * G(k, i) * sum, `step ${t}`);
    }
  });

  it('SGD with decoupled weight decay λ: p_t = (1 − lr·λ)p_{t−1} − lr·g', () => {
    const [lr, wd] = [0.1, 0.2];
    const step = stepper(sgd({ lr, weightDecay: wd }), p0);
    const a = 1 - lr * wd;
    // p_t = aᵗ p_0 − lr·g·(1 + a + … + a^{t−1})
    for (let t = 1; t <= 3; t++) expectEntries(step(g), (k, i) => a ** t * P(k, i) - (lr * G(k, i) * (1 - a ** t)) / (1 - a), `step ${t}`);
  });

  it('Adam: with bias correction m̂_t = g and v̂_t = g², so every step is lr·g/(|g| + ε): the first step is ≈ lr', () => {
    const [lr, eps] = [0.01, 1e-8];
    const step = stepper(adam({ lr, eps }), p0);
    for (let t = 1; t <= 3; t++) {
      const p = step(g);
      expectEntries(p, (k, i) => P(k, i) - (t * lr * G(k, i)) / (Math.abs(G(k, i)) + eps), `step ${t}`);
      if (t === 1) {
        // The entry with |g| = 4 moves by lr to within 1e-8 relative, not by lr·(1 − β₁)/√(1 − β₂) ≈ 3.16·lr.
        expect(Math.abs(p['a.w']!.data[3]! - P('a.w', 3))).toBeCloseTo(lr, 9);
      }
    }
  });

  it('Adam with other β: the closed form does not depend on them for a constant gradient', () => {
    const [lr, eps] = [0.003, 1e-6];
    const step = stepper(adam({ lr, eps, beta1: 0.5, beta2: 0.9 }), p0);
    for (let t = 1; t <= 3; t++) expectEntries(step(g), (k, i) => P(k, i) - (t * lr * G(k, i)) / (Math.abs(G(k, i)) + eps), `step ${t}`);
  });

  it('AdamW: p_t = p_{t−1} − lr·(g/(|g| + ε) + λ·p_{t−1}) (decay decoupled from the moments)', () => {
    const [lr, eps, wd] = [0.01, 1e-8, 0.1];
    const opt = adam({ lr, eps, weightDecay: wd });
    expect(opt.name).toBe('adamw');
    const step = stepper(opt, p0);
    const a = 1 - lr * wd;
    for (let t = 1; t <= 3; t++) {
      const u = (k: string, i: number) => G(k, i) / (Math.abs(G(k, i)) + eps);
      // p_t = aᵗ p_0 − lr·u·(1 + a + … + a^{t−1})
      expectEntries(step(g), (k, i) => a ** t * P(k, i) - (lr * u(k, i) * (1 - a ** t)) / (1 - a), `step ${t}`);
    }
  });

  it('Adam(W) and SGD with momentum on changing gradients follow the textbook recurrences, entry by entry', () => {
    // Gradients g, −2g, g/2: the moments now differ from step to step.
    const gs = [1, -2, 0.5].map((c) => Object.fromEntries(Object.entries(g).map(([k, t]) => [k, { shape: t.shape, data: t.data.map((v) => c * v) }])));
    const [lr, b1, b2, eps, wd, mu] = [0.02, 0.8, 0.95, 1e-7, 0.05, 0.7];
    const adamStep = stepper(adam({ lr, beta1: b1, beta2: b2, eps, weightDecay: wd }), p0);
    const sgdStep = stepper(sgd({ lr, momentum: mu, weightDecay: wd }), p0);
    const ref = Object.fromEntries(
      Object.entries(p0).map(([k, t]) => [k, [...t.data].map((p) => ({ adam: { p, m: 0, v: 0 }, sgd: { p, vel: 0 } }))]),
    );
    gs.forEach((gt, s) => {
      const t = s + 1;
      for (const [k, entries] of Object.entries(ref))
        entries.forEach((e, i) => {
          const gi = gt[k]!.data[i]!;
          const a = e.adam;
          a.m = b1 * a.m + (1 - b1) * gi;
          a.v = b2 * a.v + (1 - b2) * gi * gi;
          a.p = a.p - lr * (a.m / (1 - b1 ** t) / (Math.sqrt(a.v / (1 - b2 ** t)) + eps) + wd * a.p);
          e.sgd.vel = mu * e.sgd.vel + gi;
          e.sgd.p = e.sgd.p * (1 - lr * wd) - lr * e.sgd.vel;
        });
      expectEntries(adamStep(gt), (k, i) => ref[k]![i]!.adam.p, `adamw step ${t}`);
      expectEntries(sgdStep(gt), (k, i) => ref[k]![i]!.sgd.p, `sgd step ${t}`);
    });
  });

  it('names: sgd, adam, and adamw when weight decay is set', () => {
    expect([sgd({ lr: 1 }).name, adam({ lr: 1 }).name, adam({ lr: 1, weightDecay: 0.1 }).name]).toEqual(['sgd', 'adam', 'adamw']);
  });

  it('a missing gradient is a clear error naming the parameter', () => {
    const step = stepper(adam({ lr: 0.1 }), p0);
    expect(() => step({ 'a.w': g['a.w']! })).toThrow(/no gradient for parameter 'b'/);
  });
});
