/**
 * KECOR selection (Luo et al., "Kernel Coding Rate Maximization for Active 3D Object Detection",
 * ICCV 2023): pick the unlabelled samples that most increase the coding rate of a kernel, greedily,
 * one sample at a time.
 *
 * The objective for a selected set S given the labelled set L is
 *
 *   F(S) = log det(I + α (K + λ·diag(H))_{L∪S}) − log det(I + α K_{LL}),   α = d/ε²,
 *
 * where K is the (empirical NTK) kernel, H the classification entropy of each candidate and the
 * entropy term sits on the diagonal of the selected rows only (as the authors' implementation adds
 * `entropy_sigma · entropy` to the kernel diagonal before the greedy search). Conditioning on L is
 * the authors' posterior ("train") kernel transform written as part of one Cholesky factorisation.
 * Each greedy step adds the candidate whose pivot (its conditional variance under
 * `I + α(K + λ·diag(H))`) is largest: that pivot's log is exactly the increase of log det, so the
 * search is an incremental (pivoted) Cholesky factorisation, O(n·|L ∪ S|) per step.
 *
 * @module
 */

/** A kernel matrix: `size × size`, row-major, symmetric positive semi-definite (e.g. an `NtkResult`). */
export interface KernelMatrix {
  readonly K: Float64Array;
  readonly size: number;
}

/** Options of {@link kecorSelect}. */
export interface KecorOptions {
  /** How many samples to select. */
  readonly k: number;
  /** Rows of K that are already labelled: the coding rate is conditioned on them (default none). */
  readonly labelled?: readonly number[];
  /** Rows that may be selected (default: every row not labelled). */
  readonly candidates?: readonly number[];
  /**
   * α = d/ε² of the coding rate (default 100, i.e. a distortion ε² = 0.01 per dimension relative to
   * the kernel's scale; the authors' implementation uses a noise σ = 0.1, which is the same number).
   */
  readonly alpha?: number;
  /** Classification entropy per row of K (nats); default none (pure coding rate). */
  readonly entropy?: ArrayLike<number>;
  /** Weight λ of the entropy on the diagonal (default 0.1, the authors' `ENT_SIGMA`). */
  readonly lambda?: number;
  /**
   * Divide K by its mean diagonal over the candidates first (default true), so that α and λ mean
   * the same on any model: an NTK's scale grows with the parameter count.
   */
  readonly normalise?: boolean;
}

/** The greedy selection. */
export interface KecorResult {
  /** Selected rows, in the order they were picked. */
  readonly selected: number[];
  /** The increase of log det at each pick (nats, ≥ 0). */
  readonly gains: number[];
  /** F(S): the sum of the gains. */
  readonly objective: number;
  /** The factor the kernel was divided by (1 when `normalise` is false). */
  readonly scale: number;
}

const checkRows = (what: string, rows: readonly number[], n: number): void => {
  const seen = new Set<number>();
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`kecorSelect: ${what} lists row ${r}, but the kernel has rows 0..${n - 1}`);
    if (seen.has(r)) throw new RangeError(`kecorSelect: ${what} lists row ${r} twice`);
    seen.add(r);
  }
};

/**
 * Greedy KECOR selection of `k` rows of a kernel matrix (see the module documentation for the
 * objective). Deterministic: ties go to the lowest row.
 *
 * @example
 * const { selected } = kecorSelect(ntkOrThrow(proxy, params, [pool], { backend }), { k: 20, labelled, entropy });
 */
export const kecorSelect = (kernel: KernelMatrix, o: KecorOptions): KecorResult => {
  const { K, size: n } = kernel;
  if (!Number.isInteger(n) || n < 0 || K.length !== n * n) throw new RangeError(`kecorSelect: a ${n}×${n} kernel needs ${n * n} entries, got ${K.length}`);
  const labelled = o.labelled ?? [];
  checkRows('labelled', labelled, n);
  const isLabelled = new Uint8Array(n);
  for (const r of labelled) isLabelled[r] = 1;
  const candidates = o.candidates ?? [...Array(n).keys()].filter((r) => !isLabelled[r]);
  checkRows('candidates', candidates, n);
  for (const r of candidates) if (isLabelled[r]) throw new RangeError(`kecorSelect: row ${r} is both labelled and a candidate`);
  if (!Number.isInteger(o.k) || o.k < 0 || o.k > candidates.length) throw new RangeError(`kecorSelect: k must be an integer in 0..${candidates.length} (the candidates), got ${o.k}`);
  const alpha = o.alpha ?? 100;
  const lambda = o.lambda ?? 0.1;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`kecorSelect: alpha must be a positive number, got ${alpha}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`kecorSelect: lambda must be a number ≥ 0, got ${lambda}`);
  const H = o.entropy;
  if (H && H.length !== n) throw new RangeError(`kecorSelect: entropy needs one value per kernel row (${n}), got ${H.length}`);
  if (H) for (const r of candidates) if (!(H[r]! >= 0) || !Number.isFinite(H[r]!)) throw new RangeError(`kecorSelect: entropy of row ${r} must be a finite number ≥ 0, got ${H[r]}`);
  let scale = 1;
  if (o.normalise !== false && candidates.length) {
    scale = candidates.reduce((s, r) => s + K[r * n + r]!, 0) / candidates.length;
    if (!(scale > 0)) throw new RangeError(`kecorSelect: the kernel's mean diagonal over the candidates is ${scale}; it must be positive to normalise (pass normalise: false)`);
  }
  const a = alpha / scale;

  // Residual pivots r_j = A_jj − Σ_t L_t[j]² of A = I + α(K/scale) + αλ·diag(H on candidates).
  const r = new Float64Array(n);
  for (let j = 0; j < n; j++) r[j] = 1 + a * K[j * n + j]!;
  if (H) for (const j of candidates) r[j]! += alpha * lambda * H[j]!;
  const cols: Float64Array[] = [];
  const taken = new Uint8Array(n);
  const pivot = (p: number): number => {
    const rp = r[p]!;
    const s = Math.sqrt(rp);
    const col = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (taken[j] || j === p) continue;
      let v = a * K[j * n + p]!;
      for (const c of cols) v -= c[j]! * c[p]!;
      col[j] = v / s;
      r[j]! -= col[j]! * col[j]!;
    }
    col[p] = s;
    cols.push(col);
    taken[p] = 1;
    return Math.log(rp);
  };
  for (const p of labelled) pivot(p);
  const selected: number[] = [];
  const gains: number[] = [];
  for (let step = 0; step < o.k; step++) {
    let best = -1;
    for (const j of candidates) if (!taken[j] && (best < 0 || r[j]! > r[best]! || (r[j] === r[best] && j < best))) best = j;
    gains.push(pivot(best));
    selected.push(best);
  }
  return { selected, gains, objective: gains.reduce((s, g) => s + g, 0), scale };
};

/**
 * log det(I + α (K + λ·diag(H))_{L∪S}) − log det(I + α K_{LL}) computed directly (a dense Cholesky
 * of each submatrix), with the same normalisation as {@link kecorSelect}: the reference its greedy
 * gains are checked against.
 */
export const kecorObjective = (
  kernel: KernelMatrix,
  selected: readonly number[],
  o: { labelled?: readonly number[]; alpha?: number; entropy?: ArrayLike<number>; lambda?: number; scale?: number } = {},
): number => {
  const { K, size: n } = kernel;
  const labelled = o.labelled ?? [];
  const a = (o.alpha ?? 100) / (o.scale ?? 1);
  const lambda = o.lambda ?? 0.1;
  const logdet = (rows: readonly number[], withEntropy: (r: number) => boolean): number => {
    const m = rows.length;
    const A = new Float64Array(m * m);
    rows.forEach((ri, i) =>
      rows.forEach((rj, j) => {
        A[i * m + j] = (i === j ? 1 : 0) + a * K[ri * n + rj]! + (i === j && o.entropy && withEntropy(ri) ? (o.alpha ?? 100) * lambda * o.entropy[ri]! : 0);
      }),
    );
    let s = 0;
    for (let j = 0; j < m; j++) {
      let d = A[j * m + j]!;
      for (let k = 0; k < j; k++) d -= A[j * m + k]! ** 2;
      if (!(d > 0)) return -Infinity;
      const l = Math.sqrt(d);
      A[j * m + j] = l;
      for (let i = j + 1; i < m; i++) {
        let v = A[i * m + j]!;
        for (let k = 0; k < j; k++) v -= A[i * m + k]! * A[j * m + k]!;
        A[i * m + j] = v / l;
      }
      s += 2 * Math.log(l);
    }
    return s;
  };
  const sel = new Set(selected);
  return logdet([...labelled, ...selected], (r) => sel.has(r)) - logdet(labelled, () => false);
};
