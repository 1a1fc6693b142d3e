/**
 * Seeded 2-D point-set shapes for affine-invariant classification (no downloads): outlines of a
 * triangle, a square, a pentagon, a five-pointed star, an ellipse, a plus sign and two open strokes
 * (an "L" and a "Z", digit-like). Points are spread by arc length from a random start, vertices
 * jittered, a little noise added. Shapes are transformed after sampling, the way affNIST transforms
 * MNIST images; every set is then centred and scaled to unit RMS radius (this removes translation and
 * isotropic scale for every model, leaving rotation, shear and anisotropic scale).
 */
import type { Rng } from '../../src/tensor/rng';
import { type Mat, mul } from '../../src/groups/index';

export const CLASS_NAMES = ['triangle', 'square', 'pentagon', 'star', 'ellipse', 'plus', 'L-stroke', 'Z-stroke'] as const;

type Pt = readonly [number, number];

const polygon = (k: number, radius = (_i: number) => 1): Pt[] =>
  Array.from({ length: k }, (_, i) => {
    const a = (2 * Math.PI * i) / k + Math.PI / 2;
    return [radius(i) * Math.cos(a), radius(i) * Math.sin(a)] as const;
  });

/** The outline of class c as a polyline (closed or open) before jitter. */
const outline = (c: number): { pts: Pt[]; closed: boolean } => {
  switch (c) {
    case 0: return { pts: polygon(3), closed: true };
    case 1: return { pts: polygon(4), closed: true };
    case 2: return { pts: polygon(5), closed: true };
    case 3: return { pts: polygon(10, (i) => (i % 2 === 0 ? 1 : 0.4)), closed: true };
    case 4: return { pts: polygon(40, () => 1), closed: true };
    case 5: {
      const a = 0.3;
      return { pts: [[a, 1], [a, a], [1, a], [1, -a], [a, -a], [a, -1], [-a, -1], [-a, -a], [-1, -a], [-1, a], [-a, a], [-a, 1]], closed: true };
    }
    case 6: return { pts: [[-0.5, 1], [-0.5, -1], [0.6, -1]], closed: false };
    default: return { pts: [[-0.7, 1], [0.7, 1], [-0.7, -1], [0.7, -1]], closed: false };
  }
};

/** N points along the jittered outline of class c, spread evenly by arc length from a random start. */
export const shapePoints = (c: number, N: number, r: Rng): Float64Array => {
  const { pts, closed } = outline(c);
  const jit = c === 4 ? 0 : 0.06;
  const v = pts.map(([x, y]) => [x + jit * r.normal(), y + jit * r.normal()] as const);
  const segs = closed ? v.map((p, i) => [p, v[(i + 1) % v.length]!] as const) : v.slice(1).map((p, i) => [v[i]!, p] as const);
  const lens = segs.map(([a, b]) => Math.hypot(b[0] - a[0], b[1] - a[1]));
  const total = lens.reduce((s, l) => s + l, 0);
  const start = r.uniform();
  const out = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    // closed outlines wrap around; open strokes spread from end to end
    let s = closed ? ((start + i / N) % 1) * total : (i / (N - 1)) * total;
    let k = 0;
    while (k < segs.length - 1 && s > lens[k]!) s -= lens[k++]!;
    const [a, b] = segs[k]!;
    const t = lens[k]! > 0 ? Math.min(1, s / lens[k]!) : 0;
    out[2 * i] = a[0] + t * (b[0] - a[0]) + 0.01 * r.normal();
    out[2 * i + 1] = a[1] + t * (b[1] - a[1]) + 0.01 * r.normal();
  }
  return out;
};

/** A 2×2 transform of strength t: rotation |θ| ≤ t·π/4, shear |h| ≤ t, log-anisotropy |a| ≤ t/2 (uniform). */
export const transformOfStrength = (t: number, r: Rng): Mat => {
  const th = (2 * r.uniform() - 1) * t * (Math.PI / 4);
  const sh = (2 * r.uniform() - 1) * t;
  const a = (2 * r.uniform() - 1) * (t / 2);
  const rot = Float64Array.from([Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)]);
  const shear = Float64Array.from([1, sh, 0, 1]);
  const stretch = Float64Array.from([Math.exp(a), 0, 0, Math.exp(-a)]);
  return mul(rot, mul(stretch, shear));
};

/** Apply a to every point, then centre and scale to unit RMS radius. */
export const transformAndNormalise = (pts: Float64Array, a: Mat): Float64Array => {
  const N = pts.length / 2;
  const out = new Float64Array(pts.length);
  let mx = 0, my = 0;
  for (let i = 0; i < N; i++) {
    const x = pts[2 * i]!, y = pts[2 * i + 1]!;
    out[2 * i] = a[0]! * x + a[1]! * y;
    out[2 * i + 1] = a[2]! * x + a[3]! * y;
    mx += out[2 * i]! / N;
    my += out[2 * i + 1]! / N;
  }
  let rms = 0;
  for (let i = 0; i < N; i++) {
    out[2 * i] -= mx;
    out[2 * i + 1] -= my;
    rms += (out[2 * i]! ** 2 + out[2 * i + 1]! ** 2) / N;
  }
  const s = 1 / Math.sqrt(rms);
  for (let i = 0; i < out.length; i++) out[i] *= s;
  return out;
};

/** A batch: points [B, N, 2] and labels [B], each set drawn with a transform from `transform`. */
export const batchOf = (B: number, N: number, r: Rng, transform: (r: Rng) => Mat): { x: Float64Array; y: Float64Array } => {
  const x = new Float64Array(B * N * 2);
  const y = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const c = r.int(CLASS_NAMES.length);
    y[b] = c;
    x.set(transformAndNormalise(shapePoints(c, N, r.fork('shape')), transform(r.fork('tf'))), b * N * 2);
  }
  return { x, y };
};
