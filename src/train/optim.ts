import type { Lens } from '../optic/lens';
import { lens } from '../optic/lens';
import type { HostTensor } from '../tensor/tensor';
import { alloc, dtypeOf } from '../tensor/tensor';

/** Parameters (or their gradients) on the host, by parameter path. */
export type HostParams = Readonly<Record<string, HostTensor>>;

/**
 * An optimiser: a core lens `(state, params) → params` used to reparametrise a model (`reparamLens` in
 * src/optic/para.ts). `get` reads the parameters out of (state, params); `put` takes the gradient and
 * gives the next (state, params): the optimiser step is the lens's backward pass. `init` gives the
 * state for fresh parameters.
 */
export interface Optimizer<S> extends Lens<readonly [S, HostParams], HostParams, HostParams, readonly [S, Record<string, HostTensor>]> {
  readonly name: string;
  init(params: HostParams): S;
}

/**
 * An optimiser from its state initialisation and its step; `get` is the projection onto the
 * parameters (what a gradient-step lens does, with state carried beside the parameters).
 *
 * @example
 * const plain = optimizer('plain', () => null, (s, p, g) => [s, mapValues(p, ...)]);
 */
export const optimizer = <S>(
  name: string,
  init: (params: HostParams) => S,
  step: (state: S, params: HostParams, grads: HostParams) => readonly [S, Record<string, HostTensor>],
): Optimizer<S> => ({
  name,
  init,
  ...lens(
    ([, p]: readonly [S, HostParams]) => p,
    ([s, p]: readonly [S, HostParams], g: HostParams) => step(s, p, g),
  ),
});

const zerosLike = (t: HostTensor): HostTensor => ({ shape: t.shape, data: alloc(dtypeOf(t.data), t.data.length) });
const mapParams = <A>(ps: Readonly<Record<string, HostTensor>>, f: (k: string, t: HostTensor) => A): Record<string, A> =>
  Object.fromEntries(Object.entries(ps).map(([k, t]) => [k, f(k, t)]));

const gradOf = (grads: Readonly<Record<string, HostTensor>>, k: string): HostTensor => {
  const g = grads[k];
  if (!g) throw new Error(`optimiser: no gradient for parameter '${k}'`);
  return g;
};

/**
 * SGD with (heavy-ball) momentum and optional decoupled weight decay.
 *
 * @example
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 */
export const sgd = (o: { lr: number; momentum?: number; weightDecay?: number }): Optimizer<Record<string, HostTensor>> =>
  optimizer('sgd', (ps) => mapParams(ps, (_k, t) => zerosLike(t)), (vel, ps, grads) => {
    const mu = o.momentum ?? 0;
    const wd = o.weightDecay ?? 0;
    const nextV: Record<string, HostTensor> = {};
    const nextP: Record<string, HostTensor> = {};
    for (const [k, p] of Object.entries(ps)) {
      // Arrays in locals: the loops run every step over every parameter, and property reads in them cost
      // more than the arithmetic.
      const g = gradOf(grads, k).data;
      const v = zerosLike(p);
      const np = zerosLike(p);
      const pd = p.data, v0 = vel[k]!.data, vd = v.data, npd = np.data;
      for (let i = 0; i < pd.length; i++) {
        vd[i] = mu * v0[i]! + g[i]!;
        npd[i] = pd[i]! * (1 - o.lr * wd) - o.lr * vd[i]!;
      }
      nextV[k] = v;
      nextP[k] = np;
    }
    return [nextV, nextP];
  });

export interface AdamState {
  readonly t: number;
  readonly m: Record<string, HostTensor>;
  readonly v: Record<string, HostTensor>;
}

/**
 * Adam, or AdamW when `weightDecay` is set (decoupled decay, Loshchilov & Hutter).
 *
 * @example
 * const opt = adam({ lr: 1e-3, weightDecay: 0.01 });
 */
export const adam = (o: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }): Optimizer<AdamState> =>
  optimizer<AdamState>(
    o.weightDecay ? 'adamw' : 'adam',
    (ps) => ({ t: 0, m: mapParams(ps, (_k, t) => zerosLike(t)), v: mapParams(ps, (_k, t) => zerosLike(t)) }),
    (s, ps, grads) => {
    const b1 = o.beta1 ?? 0.9;
    const b2 = o.beta2 ?? 0.999;
    const eps = o.eps ?? 1e-8;
    const wd = o.weightDecay ?? 0;
    const t = s.t + 1;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    const m: Record<string, HostTensor> = {};
    const v: Record<string, HostTensor> = {};
    const next: Record<string, HostTensor> = {};
    for (const [k, p] of Object.entries(ps)) {
      const g = gradOf(grads, k).data;
      const mk = zerosLike(p);
      const vk = zerosLike(p);
      const np = zerosLike(p);
      const pd = p.data, m0 = s.m[k]!.data, v0 = s.v[k]!.data, md = mk.data, vd = vk.data, npd = np.data;
      for (let i = 0; i < pd.length; i++) {
        const gi = g[i]!;
        md[i] = b1 * m0[i]! + (1 - b1) * gi;
        vd[i] = b2 * v0[i]! + (1 - b2) * gi * gi;
        const step = md[i]! / c1 / (Math.sqrt(vd[i]! / c2) + eps);
        npd[i] = pd[i]! - o.lr * (step + wd * pd[i]!);
      }
      m[k] = mk;
      v[k] = vk;
      next[k] = np;
    }
    return [{ t, m, v }, next];
  });
