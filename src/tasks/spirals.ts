import { rng } from '../tensor/rng';
import type { HostTensor } from '../tensor/tensor';

/**
 * Two interleaved spirals in the plane, a classic task a linear model cannot solve.
 * Points of class c lie at angle θ + cπ with radius ∝ θ, plus Gaussian noise.
 *
 * @example
 * const { x, y } = twoSpirals(200, 1); // x: [400, 2], y: [400] (labels 0 / 1)
 */
export const twoSpirals = (
  perClass: number,
  seed: number,
  opts: { turns?: number; noise?: number } = {},
): { x: HostTensor; y: HostTensor } => {
  if (!Number.isInteger(perClass) || perClass <= 0) throw new RangeError(`twoSpirals: perClass must be a positive integer, got ${perClass}`);
  const turns = opts.turns ?? 1.5;
  const noise = opts.noise ?? 0.02;
  const r = rng(seed);
  const n = 2 * perClass;
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = (Math.floor(i / 2) + r.uniform()) / perClass;
    const theta = t * turns * 2 * Math.PI + c * Math.PI;
    const rad = 0.1 + 0.9 * t;
    x[2 * i] = rad * Math.cos(theta) + noise * r.normal();
    x[2 * i + 1] = rad * Math.sin(theta) + noise * r.normal();
    y[i] = c;
  }
  return { x: { shape: [n, 2], data: x }, y: { shape: [n], data: y } };
};
