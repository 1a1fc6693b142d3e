/**
 * Classic pool-based selection strategies, the baselines KECOR is compared against: random,
 * maximum predictive entropy, and core-set k-centre greedy (Sener & Savarese, ICLR 2018).
 *
 * @module
 */
import type { HostTensor } from '../tensor/tensor';
import { rng } from '../tensor/rng';

const checkK = (who: string, k: number, available: number): void => {
  if (!Number.isInteger(k) || k < 0 || k > available) throw new RangeError(`${who}: k must be an integer in 0..${available} (the candidates), got ${k}`);
};

/**
 * Entropy (nats) of the softmax of each row of `logits` (`[n, C]`): the classifier's uncertainty.
 *
 * @example
 * predictiveEntropy({ shape: [1, 2], data: new Float32Array([0, 0]) }); // [ln 2]
 */
export const predictiveEntropy = (logits: HostTensor): Float64Array => {
  if (logits.shape.length !== 2) throw new RangeError(`predictiveEntropy: logits must be [n, C], got [${logits.shape.join(',')}]`);
  const [n, c] = logits.shape as [number, number];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, logits.data[i * c + j]!);
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(logits.data[i * c + j]! - mx);
    let h = 0;
    for (let j = 0; j < c; j++) {
      const p = Math.exp(logits.data[i * c + j]! - mx) / z;
      if (p > 0) h -= p * Math.log(p);
    }
    if (!Number.isFinite(h)) throw new RangeError(`predictiveEntropy: row ${i} of the logits is not finite`);
    out[i] = h;
  }
  return out;
};

/**
 * `k` candidates uniformly at random without replacement (seeded).
 *
 * @example
 * randomSelect([0, 1, 2, 3], 2, 7); // two of them, the same two for seed 7
 */
export const randomSelect = (candidates: readonly number[], k: number, seed: number): number[] => {
  checkK('randomSelect', k, candidates.length);
  const a = [...candidates];
  const r = rng(seed);
  for (let i = 0; i < k; i++) {
    const j = i + r.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
};

/**
 * The `k` candidates of highest entropy (ties to the lowest index).
 *
 * @example
 * entropySelect(predictiveEntropy(logits), candidates, 20);
 */
export const entropySelect = (entropy: ArrayLike<number>, candidates: readonly number[], k: number): number[] => {
  checkK('entropySelect', k, candidates.length);
  for (const c of candidates) if (c >= entropy.length) throw new RangeError(`entropySelect: candidate ${c} has no entropy (${entropy.length} values)`);
  return [...candidates].sort((a, b) => entropy[b]! - entropy[a]! || a - b).slice(0, k);
};

/**
 * Core-set selection by k-centre greedy: repeatedly add the candidate farthest (Euclidean) from the
 * labelled and already selected points, in a feature space (`features`: `[n, d]` row-major, usually a
 * classifier's penultimate layer). With nothing labelled the first pick is the candidate farthest
 * from the candidates' mean. Ties go to the lowest index.
 *
 * @example
 * coresetSelect(embeddings, 64, labelled, candidates, 20);
 */
export const coresetSelect = (features: ArrayLike<number>, d: number, labelled: readonly number[], candidates: readonly number[], k: number): number[] => {
  checkK('coresetSelect', k, candidates.length);
  const n = features.length / d;
  if (!Number.isInteger(n)) throw new RangeError(`coresetSelect: ${features.length} feature values are not rows of width ${d}`);
  for (const c of [...labelled, ...candidates]) if (!Number.isInteger(c) || c < 0 || c >= n) throw new RangeError(`coresetSelect: row ${c} is outside 0..${n - 1}`);
  const dist2 = (i: number, j: number) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (features[i * d + q]! - features[j * d + q]!) ** 2;
    return s;
  };
  const near = new Float64Array(candidates.length).fill(Infinity);
  const absorb = (p: number) => candidates.forEach((c, i) => (near[i] = Math.min(near[i]!, dist2(c, p))));
  for (const l of labelled) absorb(l);
  if (!labelled.length && candidates.length) {
    const mean = new Float64Array(d);
    for (const c of candidates) for (let q = 0; q < d; q++) mean[q]! += features[c * d + q]! / candidates.length;
    candidates.forEach((c, i) => {
      let s = 0;
      for (let q = 0; q < d; q++) s += (features[c * d + q]! - mean[q]!) ** 2;
      near[i] = s;
    });
  }
  const out: number[] = [];
  const taken = new Uint8Array(candidates.length);
  for (let s = 0; s < k; s++) {
    let best = -1;
    for (let i = 0; i < candidates.length; i++) if (!taken[i] && (best < 0 || near[i]! > near[best]!)) best = i;
    taken[best] = 1;
    out.push(candidates[best]!);
    absorb(candidates[best]!);
  }
  return out;
};
