/**
 * What one parametrised node contributes to the empirical NTK of a chunk of examples, kept in a form
 * whose Gram between two chunks is cheap and never materialises per-example gradients unless the
 * node has no closed form.
 *
 * - A **product** factor (a linear map `y = x W + b` over `rows` rows per example) keeps the node's
 *   input `x` and the output cotangents `g` of every model output: the contribution of examples i, j
 *   for outputs a, b is `Σ_{r,s} (x_{ir}·x_{js} + [bias]) (g^a_{ir}·g^b_{js})`, which is
 *   `(X Xᵀ + 1) ∘ (G^a G^bᵀ)` for one row per example.
 * - A **vector** factor keeps one vector per (example, output) whose inner products are the
 *   contribution: the per-example parameter gradient (the VJP fallback), or a short closed-form
 *   summary of it (layer norm: `Σ_r x̂_r ∘ g_r` and `Σ_r g_r`).
 *
 * @module
 */

/** A node's contribution for one model output, as a rule or the per-example path computes it. */
export type Piece =
  | {
      readonly kind: 'product';
      /** The node's input, `[n·rows, dIn]`. */
      readonly x: Float64Array;
      readonly dIn: number;
      readonly rows: number;
      readonly bias: boolean;
      /** This output's cotangents at the node's output, `[n·rows, dOut]`. */
      readonly g: Float64Array;
      readonly dOut: number;
    }
  | {
      readonly kind: 'vector';
      /** One vector per example, `[n, width]`. */
      readonly v: Float64Array;
      readonly width: number;
    };

/** A node's factor over every model output (`outputs` of them), for a chunk of `n` examples. */
export type Factor =
  | {
      readonly kind: 'product';
      readonly n: number;
      readonly outputs: number;
      readonly x: Float64Array;
      readonly dIn: number;
      readonly rows: number;
      readonly bias: boolean;
      /** `[n·rows, outputs, dOut]`: the cotangents of all outputs of one row are contiguous. */
      readonly g: Float64Array;
      readonly dOut: number;
    }
  | {
      readonly kind: 'vector';
      readonly n: number;
      readonly outputs: number;
      /** `[n, outputs, width]`. */
      readonly v: Float64Array;
      readonly width: number;
    };

/** Bytes a factor of this layout holds per example (float64 on the host). */
export const factorBytesPerExample = (p: { kind: 'product'; dIn: number; rows: number; dOut: number } | { kind: 'vector'; width: number }, outputs: number): number =>
  8 * (p.kind === 'product' ? p.rows * (p.dIn + outputs * p.dOut) : outputs * p.width);

/**
 * Collects one node's pieces, output by output, into a {@link Factor}. Every piece of one node must
 * have the same layout (a rule's layout depends only on shapes).
 */
export class FactorBuilder {
  private f: { kind: 'product'; x: Float64Array; g: Float64Array; dIn: number; rows: number; bias: boolean; dOut: number } | { kind: 'vector'; v: Float64Array; width: number } | undefined;
  private seen = 0;
  constructor(
    readonly n: number,
    readonly outputs: number,
  ) {}

  /** Add the piece of output `a` (each output once). */
  add(a: number, p: Piece, where: string): void {
    const { n, outputs: C } = this;
    if (!this.f) {
      this.f =
        p.kind === 'product'
          ? { kind: 'product', x: p.x, g: new Float64Array(n * p.rows * C * p.dOut), dIn: p.dIn, rows: p.rows, bias: p.bias, dOut: p.dOut }
          : { kind: 'vector', v: new Float64Array(n * C * p.width), width: p.width };
    }
    const f = this.f;
    if (f.kind !== p.kind || (f.kind === 'product' && p.kind === 'product' && (f.rows !== p.rows || f.dOut !== p.dOut || f.dIn !== p.dIn)) || (f.kind === 'vector' && p.kind === 'vector' && f.width !== p.width))
      throw new Error(`ntk: node ${where} gave factors of different layouts for different outputs`);
    if (f.kind === 'product' && p.kind === 'product') {
      const rowsN = n * f.rows;
      for (let r = 0; r < rowsN; r++) f.g.set(p.g.subarray(r * f.dOut, (r + 1) * f.dOut), (r * C + a) * f.dOut);
    } else if (f.kind === 'vector' && p.kind === 'vector') {
      for (let i = 0; i < n; i++) f.v.set(p.v.subarray(i * f.width, (i + 1) * f.width), (i * C + a) * f.width);
    }
    this.seen++;
  }

  /** The factor, once every output has been added. */
  done(where: string): Factor {
    if (!this.f || this.seen !== this.outputs) throw new Error(`ntk: node ${where} saw ${this.seen} of ${this.outputs} output cotangents`);
    const { n, outputs } = this;
    return { ...this.f, n, outputs };
  }
}

const dot = (a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): number => {
  let s = 0;
  for (let k = 0; k < len; k++) s += a[ia + k]! * b[ib + k]!;
  return s;
};

/** Where a chunk's examples sit in the whole batch. */
export interface ChunkAt {
  readonly offset: number;
  readonly n: number;
}

/**
 * Add node `fi` (chunk I) against `fj` (chunk J, the same node) into the lower triangle of `K`
 * (`M × M`, row-major). Chunk J must not come after chunk I (`J.offset ≤ I.offset`); for the same
 * chunk only pairs j ≤ i are visited, so each entry is computed once and mirroring gives an exactly
 * symmetric matrix. `full`: rows index (example, output) as `example·outputs + output`; otherwise
 * examples, with the contribution summed over outputs.
 */
export const addGramBlock = (K: Float64Array, M: number, fi: Factor, I: ChunkAt, fj: Factor, J: ChunkAt, full: boolean): void => {
  const C = fi.outputs;
  const same = I.offset === J.offset;
  if (fi.kind === 'product' && fj.kind === 'product') {
    const { rows: R, dIn, dOut, bias } = fi;
    const gw = C * dOut;
    for (let i = 0; i < I.n; i++) {
      const jEnd = same ? i + 1 : J.n;
      for (let j = 0; j < jEnd; j++) {
        if (!full) {
          let s = 0;
          for (let r = 0; r < R; r++)
            for (let q = 0; q < R; q++) {
              const xx = dot(fi.x, (i * R + r) * dIn, fj.x, (j * R + q) * dIn, dIn) + (bias ? 1 : 0);
              s += xx * dot(fi.g, (i * R + r) * gw, fj.g, (j * R + q) * gw, gw);
            }
          K[(I.offset + i) * M + J.offset + j] += s;
        } else {
          for (let r = 0; r < R; r++)
            for (let q = 0; q < R; q++) {
              const xx = dot(fi.x, (i * R + r) * dIn, fj.x, (j * R + q) * dIn, dIn) + (bias ? 1 : 0);
              for (let a = 0; a < C; a++) {
                const u = (I.offset + i) * C + a;
                const bEnd = same && i === j ? a + 1 : C;
                for (let b = 0; b < bEnd; b++)
                  K[u * M + (J.offset + j) * C + b] += xx * dot(fi.g, ((i * R + r) * C + a) * dOut, fj.g, ((j * R + q) * C + b) * dOut, dOut);
              }
            }
        }
      }
    }
    return;
  }
  if (fi.kind === 'vector' && fj.kind === 'vector') {
    const w = fi.width;
    for (let i = 0; i < I.n; i++) {
      const jEnd = same ? i + 1 : J.n;
      for (let j = 0; j < jEnd; j++) {
        if (!full) K[(I.offset + i) * M + J.offset + j] += dot(fi.v, i * C * w, fj.v, j * C * w, C * w);
        else
          for (let a = 0; a < C; a++) {
            const u = (I.offset + i) * C + a;
            const bEnd = same && i === j ? a + 1 : C;
            for (let b = 0; b < bEnd; b++) K[u * M + (J.offset + j) * C + b] += dot(fi.v, (i * C + a) * w, fj.v, (j * C + b) * w, w);
          }
      }
    }
    return;
  }
  throw new Error('ntk: one node gave factors of different kinds in two chunks');
};

/** Copy the lower triangle of `K` (`M × M`) onto the upper one. */
export const mirrorLower = (K: Float64Array, M: number): void => {
  for (let i = 0; i < M; i++) for (let j = 0; j < i; j++) K[j * M + i] = K[i * M + j]!;
};
