/**
 * Small dense matrices (n = 2 or 3) in float64, row-major: the arithmetic under the matrix groups.
 * Everything here is exact-size and allocation-light; the group modules give it meaning.
 */

/** An n×n real matrix, row-major, n ∈ {2, 3}. */
export type Mat = Float64Array<ArrayBufferLike>;

/** A point of Rⁿ. */
export type Vec = Float64Array<ArrayBufferLike>;

/** Bad input to a group operation: says which operation and what was expected. */
export class GroupError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'GroupError';
  }
}

/** The size n of an n×n matrix, or a GroupError naming `where`. */
export const dimOf = (m: Mat, where = 'matrix'): 2 | 3 => {
  if (m.length === 4) return 2;
  if (m.length === 9) return 3;
  throw new GroupError(`${where}: expected a 2×2 or 3×3 matrix (4 or 9 entries, row-major), got ${m.length} entries`);
};

/** Checks that a matrix has only finite entries. */
export const assertFinite = (m: Float64Array, where: string): void => {
  for (let i = 0; i < m.length; i++)
    if (!Number.isFinite(m[i]!)) throw new GroupError(`${where}: entry ${i} is ${m[i]}, expected a finite number`);
};

/** The n×n identity. */
export const eye = (n: number): Mat => {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
};

/** An n×n matrix from its rows. */
export const mat = (n: number, rows: readonly (readonly number[])[]): Mat => {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = rows[i]![j]!;
  return m;
};

/** The product a·b. */
export const mul = (a: Mat, b: Mat): Mat => {
  const n = dimOf(a);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j]!;
    }
  return c;
};

/** aᵀ. */
export const transpose = (a: Mat): Mat => {
  const n = dimOf(a);
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
};

/** a + b, a − b, s·a, tr a (entrywise; same sizes). */
export const add = (a: Mat, b: Mat): Mat => a.map((x, i) => x + b[i]!);
export const sub = (a: Mat, b: Mat): Mat => a.map((x, i) => x - b[i]!);
export const scale = (a: Mat, s: number): Mat => a.map((x) => x * s);
export const trace = (a: Mat): number => {
  const n = dimOf(a);
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i]!;
  return t;
};

/** Largest absolute entry of a − b. */
export const maxAbsDiff = (a: Float64Array, b: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Frobenius norm. */
export const normF = (a: Float64Array): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

/** The determinant (n ≤ 3, by cofactors). */
export const det = (a: Mat): number => {
  if (dimOf(a) === 2) return a[0]! * a[3]! - a[1]! * a[2]!;
  return (
    a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!)
  );
};

/** Inverse by the adjugate (n ≤ 3), or a GroupError if singular. */
export const inv = (a: Mat, where = 'inverse'): Mat => {
  const n = dimOf(a, where);
  const d = det(a);
  if (!(Math.abs(d) > 0) || !Number.isFinite(d)) throw new GroupError(`${where}: the matrix is singular (det = ${d})`);
  if (n === 2) return Float64Array.from([a[3]! / d, -a[1]! / d, -a[2]! / d, a[0]! / d]);
  const c = (i: number, j: number) => a[i * 3 + j]!;
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      // cofactor of (j, i) gives the adjugate's (i, j)
      const r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      r[i * 3 + j] = (c(r0, c0) * c(r1, c1) - c(r0, c1) * c(r1, c0)) / d;
    }
  return r;
};

/** m·x for a point x. */
export const apply = (m: Mat, x: Vec): Vec => {
  const n = dimOf(m);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += m[i * n + j]! * x[j]!;
    y[i] = s;
  }
  return y;
};

/** (a + aᵀ)/2. */
export const symPart = (a: Mat): Mat => scale(add(a, transpose(a)), 0.5);
/** (a − aᵀ)/2. */
export const skewPart = (a: Mat): Mat => scale(sub(a, transpose(a)), 0.5);

/** Largest |a − aᵀ| entry relative to the largest entry (0 for exactly symmetric). */
export const asymmetry = (a: Mat): number => maxAbsDiff(a, transpose(a)) / Math.max(1e-300, Math.max(...Array.from(a, Math.abs)));

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: `a = V diag(values) Vᵀ`,
 * `vectors` holds V (columns are eigenvectors), values ascending. Jacobi is accurate to a few ulps
 * for these sizes, which the 1e-12 round-trip laws need.
 */
export const symEig = (a: Mat): { values: Float64Array; vectors: Mat } => {
  const n = dimOf(a, 'symEig');
  const A = symPart(a);
  const V = eye(n);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!, aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!, akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!, aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = [...Array(n).keys()].sort((i, j) => A[i * n + i]! - A[j * n + j]!);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src]!;
  });
  return { values, vectors };
};

/** V diag(f(values)) Vᵀ: a function of a symmetric matrix through its eigen-decomposition. */
export const symFn = (e: { values: Float64Array; vectors: Mat }, f: (x: number) => number): Mat => {
  const n = e.values.length;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const fk = f(e.values[k]!);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] += e.vectors[i * n + k]! * fk * e.vectors[j * n + k]!;
  }
  return out;
};

/** Matrix exponential of any real n×n matrix: scaling and squaring with a Taylor series. */
export const expm = (x: Mat): Mat => {
  const n = dimOf(x, 'expm');
  assertFinite(x, 'expm');
  const nrm = normF(x);
  const k = nrm > 0.25 ? Math.ceil(Math.log2(nrm / 0.25)) : 0;
  const y = scale(x, 2 ** -k);
  let term: Mat = eye(n);
  let sum: Mat = eye(n);
  for (let i = 1; i <= 20; i++) {
    term = scale(mul(term, y), 1 / i);
    sum = add(sum, term);
    if (normF(term) < 1e-18 * normF(sum)) break;
  }
  for (let i = 0; i < k; i++) sum = mul(sum, sum);
  return sum;
};

/** Real eigenvalues of a 2×2 or 3×3 matrix (the real roots of its characteristic polynomial). */
export const realEigenvalues = (a: Mat): number[] => {
  const n = dimOf(a);
  const tr = trace(a);
  const d = det(a);
  if (n === 2) {
    const disc = (tr * tr) / 4 - d;
    if (disc < 0) return [];
    const s = Math.sqrt(disc);
    return [tr / 2 - s, tr / 2 + s];
  }
  // λ³ − tr λ² + c1 λ − det, c1 = sum of principal 2×2 minors; depressed with λ = μ + tr/3.
  const c1 = a[0]! * a[4]! - a[1]! * a[3]! + a[0]! * a[8]! - a[2]! * a[6]! + a[4]! * a[8]! - a[5]! * a[7]!;
  const p = c1 - (tr * tr) / 3;
  const q = (-2 * tr ** 3) / 27 + (tr * c1) / 3 - d;
  const shift = tr / 3;
  const disc = (q * q) / 4 + (p * p * p) / 27;
  if (disc > 0) {
    const s = Math.sqrt(disc);
    return [Math.cbrt(-q / 2 + s) + Math.cbrt(-q / 2 - s) + shift];
  }
  if (p === 0) return [shift, shift, shift];
  const r = 2 * Math.sqrt(-p / 3);
  const phi = Math.acos(Math.max(-1, Math.min(1, (3 * q) / (p * r))));
  return [0, 1, 2].map((k) => r * Math.cos(phi / 3 - (2 * Math.PI * k) / 3) + shift);
};

/**
 * Principal matrix logarithm (the one whose eigenvalues have imaginary parts in (−π, π)), by inverse
 * scaling and squaring: Denman–Beavers square roots until close to I, then the series of log(I + E).
 * It exists only when no eigenvalue lies on the closed negative real axis; otherwise a GroupError says
 * which eigenvalue is in the way.
 */
export const logm = (g: Mat, where = 'logm'): Mat => {
  const n = dimOf(g, where);
  assertFinite(g, where);
  const bad = realEigenvalues(g).filter((l) => l <= 1e-12 * Math.max(1, normF(g)));
  if (bad.length)
    throw new GroupError(
      `${where}: the matrix has the real eigenvalue ${bad[0]!.toPrecision(6)} ≤ 0, so it has no principal logarithm ` +
        `(the exponential map of GL⁺(n) and SL(n) is not surjective); use the polar coordinates (xiInv) instead`,
    );
  let y: Mat = g.slice();
  let k = 0;
  while (normF(sub(y, eye(n))) > 0.05) {
    if (k > 60) throw new GroupError(`${where}: square roots did not converge (the matrix is too ill-conditioned)`);
    y = sqrtm(y);
    k++;
  }
  const e = sub(y, eye(n));
  let term: Mat = e.slice();
  let sum: Mat = e.slice();
  for (let i = 2; i <= 40; i++) {
    term = mul(term, e);
    const t = scale(term, (i % 2 === 0 ? -1 : 1) / i);
    sum = add(sum, t);
    if (normF(t) < 1e-18 * normF(sum)) break;
  }
  return scale(sum, 2 ** k);
};

/** Principal square root by the (product-form) Denman–Beavers iteration. */
const sqrtm = (a: Mat): Mat => {
  const n = dimOf(a);
  let y: Mat = a.slice();
  let z: Mat = eye(n);
  for (let i = 0; i < 100; i++) {
    const yi = inv(y, 'sqrtm');
    const zi = inv(z, 'sqrtm');
    const y2 = scale(add(y, zi), 0.5);
    const z2 = scale(add(z, yi), 0.5);
    const done = normF(sub(y2, y)) <= 1e-15 * normF(y2);
    y = y2;
    z = z2;
    if (done) break;
  }
  return y;
};
