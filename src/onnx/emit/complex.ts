/**
 * Complex values in ONNX graphs: a complex tensor is a real one with a trailing axis of 2 (real,
 * imaginary), the layout of the `DFT` operator.
 *
 * @module
 */
import type { GraphBuilder, Sym } from '../graph';

/** Complex tensor [..., 2] from real and imaginary parts of one shape. */
export const complex = (g: GraphBuilder, re: Sym, im: Sym): Sym => g.concat([g.unsqueeze(re, [-1]), g.unsqueeze(im, [-1])], -1);

/** A real tensor as complex [..., 1] (what `DFT` takes for real input). */
export const asReal = (g: GraphBuilder, x: Sym): Sym => g.unsqueeze(x, [-1]);

export const realPart = (g: GraphBuilder, z: Sym): Sym => g.reshape(g.slice(z, [0], [1], [-1]), z.shape.slice(0, -1));
export const imagPart = (g: GraphBuilder, z: Sym): Sym => g.reshape(g.slice(z, [1], [2], [-1]), z.shape.slice(0, -1));

/** Complex product of [..., 2] tensors (broadcasting), with `conjB` conjugating the second factor. */
export const cmul = (g: GraphBuilder, a: Sym, b: Sym, conjB = false): Sym => {
  const [ar, ai, br, bi] = [realPart(g, a), imagPart(g, a), realPart(g, b), imagPart(g, b)];
  if (!conjB) return complex(g, g.sub(g.mul(ar, br), g.mul(ai, bi)), g.add(g.mul(ar, bi), g.mul(ai, br)));
  return complex(g, g.add(g.mul(ar, br), g.mul(ai, bi)), g.sub(g.mul(ai, br), g.mul(ar, bi)));
};

/**
 * The discrete Fourier transform along `axis` of x [..., n, ..., 1 or 2] (real or complex in the
 * last axis): forward `X_k = Σ_j x_j e^{−2πi jk/n}`, inverse with the 1/n. `onesided` keeps bins
 * 0..⌊n/2⌋ of a real input's spectrum.
 */
export const dft = (g: GraphBuilder, x: Sym, axis: number, opts: { inverse?: boolean; onesided?: boolean } = {}): Sym => {
  const r = x.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const n = x.shape[a]!;
  const shape = [...x.shape];
  shape[a] = opts.onesided ? Math.floor(n / 2) + 1 : n;
  shape[r - 1] = 2;
  return g.node('DFT', [x, null, g.constant([a], [], 'int64')], { ...(opts.inverse ? { inverse: 1 } : {}), ...(opts.onesided ? { onesided: 1 } : {}) }, [{ shape, elem: x.elem }])[0]!;
};

/**
 * The full spectrum [..., d, 2] of a real length-d signal from its half spectrum [..., ⌊d/2⌋+1, 2]
 * (Hermitian symmetry: X_{d−k} = conj X_k), along the axis before the complex one.
 */
export const hermitianFull = (g: GraphBuilder, half: Sym, d: number): Sym => {
  const h = Math.floor(d / 2) + 1;
  if (d - h === 0) return half;
  const axis = half.shape.length - 2;
  // Bins d−h … 1, reversed (k = h … d−1 reads d − k), conjugated.
  const rev = g.node('Slice', [half, g.ints([d - h]), g.ints([0]), g.ints([axis]), g.ints([-1])], {}, [{ shape: [...half.shape.slice(0, axis), d - h, 2] }])[0]!;
  const conj = complex(g, realPart(g, rev), g.neg(imagPart(g, rev)));
  return g.concat([half, conj], axis);
};
