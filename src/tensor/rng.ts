import { sizeOf } from './shape';
/**
 * Seeded pseudo-random numbers (SplitMix32 state update + Box–Muller normals).
 * Every source of randomness in catoptric takes one of these, built from an explicit seed,
 * so the same seed always gives the same numbers.
 *
 * @example
 * const r = rng(42); r.uniform(); r.normal();
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** An independent generator derived from this one's stream and a label. */
  fork(label: number | string): Rng;
}

const hashString = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

const mix = (x: number): number => {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
};

export const rng = (seed: number | string): Rng => {
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`rng: seed must be finite, got ${seed}`);
  let state = (typeof seed === 'string' ? hashString(seed) : (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  let spare: number | null = null;
  const next32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix(state);
  };
  const uniform = (): number => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
  return {
    uniform,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = uniform();
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(n: number) {
      return Math.floor(uniform() * n);
    },
    fork(label: number | string) {
      const l = typeof label === 'string' ? hashString(label) : label >>> 0;
      return rng((mix(next32() ^ mix(l + 0x6d2b79f5)) >>> 0) + 0);
    },
  };
};

/** A tensor of standard normals from a generator (for a CSR wire type, every slot of its storage). */
export const randn = (shape: readonly number[], r: Rng, dtype: 'float32' | 'float64' = 'float64') => {
  const n = sizeOf(shape);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = r.normal();
  return { shape: [...shape], data };
};
