/**
 * Seeded generators of the relational tasks the PMI paper evaluates on, in state-vector form (no
 * images, no downloads):
 *
 * - **Sort-of-CLEVR** (after Santoro et al., 2017): scenes of 6 objects, one of each colour, each a
 *   shape (circle or square) at a position in the unit square, and a question about one colour.
 *   Non-relational: that object's shape, whether it is left or right, top or bottom. Relational: the
 *   shape of the object closest to it, of the one furthest from it, and how many objects share its
 *   shape (1–6).
 * - **Equilateral triangles**: 3 points in the unit square (as in the paper's task, where an image
 *   shows three point clusters); the label says whether they form an equilateral triangle.
 *
 * Each example is a sequence of tokens (objects or points, in random order, then one question or
 * query token) with a class label; the classifier reads the last token.
 */
import type { Rng } from '../tensor/rng';
import type { HostTensor } from '../tensor/tensor';

/** A batch: token features [B, N, F], labels [B] (class indices), and per example whether it is relational. */
export interface RelationalBatch {
  readonly features: HostTensor;
  readonly labels: HostTensor;
  readonly relational: readonly boolean[];
}

/** Sort-of-CLEVR sizes: 6 objects + 1 question token, 24 features, 12 answer classes. */
export const SORT_OF_CLEVR = { objects: 6, tokens: 7, features: 24, classes: 12 } as const;

/** Question types: 0–2 non-relational, 3–5 relational. */
export const SOC_QUESTIONS = ['shape', 'horizontal', 'vertical', 'closest shape', 'furthest shape', 'count same shape'] as const;

/** Answer classes: circle, square, left, right, top, bottom, then counts 1–6. */
export const SOC_ANSWERS = ['circle', 'square', 'left', 'right', 'top', 'bottom', '1', '2', '3', '4', '5', '6'] as const;

/** Minimum distance between two objects of a scene (they do not overlap). */
const MIN_GAP = 0.12;

/** One scene: colour i's shape (0 circle, 1 square) and position. */
export interface Scene {
  readonly shape: readonly number[];
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** A random scene: 6 objects at least MIN_GAP apart (rejection sampling). */
export const randomScene = (r: Rng): Scene => {
  const n = SORT_OF_CLEVR.objects;
  const x: number[] = [];
  const y: number[] = [];
  while (x.length < n) {
    const px = 0.05 + 0.9 * r.uniform();
    const py = 0.05 + 0.9 * r.uniform();
    if (x.every((qx, i) => Math.hypot(qx - px, y[i]! - py) >= MIN_GAP)) {
      x.push(px);
      y.push(py);
    }
  }
  return { shape: Array.from({ length: n }, () => r.int(2)), x, y };
};

/**
 * The answer class to question `q` about colour `c` of a scene. Distances tie with probability 0;
 * an exact tie would go to the lower colour index.
 */
export const socAnswer = (s: Scene, q: number, c: number): number => {
  const n = s.shape.length;
  const d = (j: number) => Math.hypot(s.x[j]! - s.x[c]!, s.y[j]! - s.y[c]!);
  switch (q) {
    case 0:
      return s.shape[c]!;
    case 1:
      return s.x[c]! < 0.5 ? 2 : 3;
    case 2:
      return s.y[c]! < 0.5 ? 4 : 5;
    case 3:
    case 4: {
      let best = -1;
      for (let j = 0; j < n; j++) if (j !== c && (best < 0 || (q === 3 ? d(j) < d(best) : d(j) > d(best)))) best = j;
      return s.shape[best]!;
    }
    default: {
      let same = 0;
      for (let j = 0; j < n; j++) if (s.shape[j] === s.shape[c]) same++;
      return 5 + same;
    }
  }
};

/**
 * A Sort-of-CLEVR batch. Object token features: colour one-hot (6), shape one-hot (2), x, y, an
 * object flag; question token: question-type one-hot (6), colour one-hot (6), a question flag (24 in
 * all, the two kinds in disjoint feature ranges). Objects come in random order; question types are
 * uniform, so half the questions are relational.
 */
export const sortOfClevrBatch = (r: Rng, B: number): RelationalBatch => {
  const { tokens: N, features: F, objects: n } = SORT_OF_CLEVR;
  const feats = new Float32Array(B * N * F);
  const labels = new Float32Array(B);
  const relational: boolean[] = [];
  for (let b = 0; b < B; b++) {
    const s = randomScene(r);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((c, t) => {
      const o = (b * N + t) * F;
      feats[o + c] = 1;
      feats[o + 6 + s.shape[c]!] = 1;
      feats[o + 8] = s.x[c]!;
      feats[o + 9] = s.y[c]!;
      feats[o + 10] = 1;
    });
    const q = r.int(6);
    const c = r.int(n);
    const o = (b * N + n) * F;
    feats[o + 11 + q] = 1;
    feats[o + 17 + c] = 1;
    feats[o + 23] = 1;
    labels[b] = socAnswer(s, q, c);
    relational.push(q >= 3);
  }
  return { features: { shape: [B, N, F], data: feats }, labels: { shape: [B], data: labels }, relational };
};

/** Triangle task sizes: 3 points + 1 query token, 4 features, 2 classes. */
export const TRIANGLES = { points: 3, tokens: 4, features: 4, classes: 2 } as const;

/** Ratio of the longest to the shortest side of a triangle (1 for equilateral). */
export const sideRatio = (px: readonly number[], py: readonly number[], i: number, j: number, k: number): number => {
  const a = Math.hypot(px[i]! - px[j]!, py[i]! - py[j]!);
  const b = Math.hypot(px[j]! - px[k]!, py[j]! - py[k]!);
  const c = Math.hypot(px[k]! - px[i]!, py[k]! - py[i]!);
  return Math.max(a, b, c) / Math.max(Math.min(a, b, c), 1e-12);
};

/** Smallest side ratio over all triples of the points. */
export const bestRatio = (px: readonly number[], py: readonly number[]): number => {
  let best = Infinity;
  const n = px.length;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) for (let k = j + 1; k < n; k++) best = Math.min(best, sideRatio(px, py, i, j, k));
  return best;
};

/** A point set counts as containing an equilateral triangle when some triple's side ratio is below this. */
export const EQUILATERAL = 1.02;
/** Negatives keep every triple's ratio above this, so the two classes are separated by a margin. */
export const NOT_EQUILATERAL = 1.3;

/**
 * A triangle-task batch, half positive. Positives are equilateral triangles (side 0.25–0.6, any
 * rotation, inside the unit square); negatives, of the same size and place, have one vertex pushed
 * along its radius by 30–70% of the circumradius, in or out, and are redrawn until their side ratio
 * is at least NOT_EQUILATERAL. Point tokens: x, y, a point flag, 0; the query token: 0, 0, 0, 1.
 * Points come in random order.
 */
export const trianglesBatch = (r: Rng, B: number): RelationalBatch => {
  const { tokens: N, features: F, points: n } = TRIANGLES;
  const feats = new Float32Array(B * N * F);
  const labels = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const positive = r.int(2) === 1;
    let px: number[] = [];
    let py: number[] = [];
    for (;;) {
      const side = 0.25 + 0.35 * r.uniform();
      const rad = side / Math.sqrt(3);
      const cx = rad + (1 - 2 * rad) * r.uniform();
      const cy = rad + (1 - 2 * rad) * r.uniform();
      const th = 2 * Math.PI * r.uniform();
      px = [0, 1, 2].map((i) => cx + rad * Math.cos(th + (2 * Math.PI * i) / 3));
      py = [0, 1, 2].map((i) => cy + rad * Math.sin(th + (2 * Math.PI * i) / 3));
      if (!positive) {
        // Push one vertex along its radius by 30–70% of the circumradius, in or out.
        const f = (0.3 + 0.4 * r.uniform()) * (r.int(2) ? 1 : -1);
        px[0] = cx + (1 + f) * (px[0]! - cx);
        py[0] = cy + (1 + f) * (py[0]! - cy);
      }
      const inside = px.every((v) => v >= 0 && v <= 1) && py.every((v) => v >= 0 && v <= 1);
      const ratio = bestRatio(px, py);
      if (inside && (positive ? ratio < EQUILATERAL : ratio >= NOT_EQUILATERAL)) break;
    }
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((p, t) => {
      const o = (b * N + t) * F;
      feats[o] = px[p]!;
      feats[o + 1] = py[p]!;
      feats[o + 2] = 1;
    });
    feats[(b * N + n) * F + 3] = 1;
    labels[b] = positive ? 1 : 0;
  }
  return { features: { shape: [B, N, F], data: feats }, labels: { shape: [B], data: labels }, relational: Array.from({ length: B }, () => true) };
};
