import { describe, expect, it } from 'vitest';
import { parse, usage } from '../examples/affine/options';
import { CLASS_NAMES, batchOf, shapePoints, transformAndNormalise, transformOfStrength } from '../examples/affine/shapes';
import { matchedPlainWidth } from '../examples/affine/models';
import { det, svdLogStretch } from '../src/groups/index';
import { rng } from '../src/tensor/rng';

describe('examples/affine', () => {
  it('options: defaults, --help text, and unknown or malformed flags are refused with a message', () => {
    const o = parse([]);
    expect(typeof o).toBe('object');
    expect(o).toMatchObject({ seeds: 5, json: false, backend: 'wasm', window: 1.5 });
    expect(parse(['--json', '--seeds', '2', '--svg', 'a.svg', '--backend', 'js'])).toMatchObject({ json: true, seeds: 2, svg: 'a.svg', backend: 'js' });
    expect(parse(['--frobnicate'])).toMatch(/unknown option "--frobnicate"/);
    expect(parse(['--seeds', '0'])).toMatch(/--seeds expects an integer ≥ 1, got "0"/);
    expect(parse(['--window', '9'])).toMatch(/--window expects a number in \(0, 3\]/);
    expect(parse(['--svg'])).toMatch(/--svg expects a file name/);
    expect(parse(['--backend', 'js', '--threads', '2'])).toMatch(/--threads 2 applies to --backend wasm/);
    expect(usage).toMatch(/--json/);
  });
  it('shapes are seeded, centred and of unit RMS radius; transforms of strength t stay in their documented range', () => {
    const a = shapePoints(3, 24, rng(1)), b = shapePoints(3, 24, rng(1));
    expect(a).toEqual(b);
    const { x, y } = batchOf(16, 24, rng(2), (r) => transformOfStrength(2, r));
    expect(Math.max(...y)).toBeLessThan(CLASS_NAMES.length);
    for (let s = 0; s < 16; s++) {
      let mx = 0, r2 = 0;
      for (let i = 0; i < 24; i++) {
        mx += x[(s * 24 + i) * 2]!;
        r2 += x[(s * 24 + i) * 2]! ** 2 + x[(s * 24 + i) * 2 + 1]! ** 2;
      }
      expect(Math.abs(mx)).toBeLessThan(1e-9);
      expect(r2 / 24).toBeCloseTo(1, 9);
    }
    for (let i = 0; i < 50; i++) {
      const t = transformOfStrength(2, rng(3).fork(i));
      expect(det(t)).toBeGreaterThan(0);
      // shear ≤ 2 and log-anisotropy ≤ 1: singular values within e^{±2}
      expect(svdLogStretch(t)).toBeLessThan(2);
    }
    expect(transformAndNormalise(a, Float64Array.from([1, 0, 0, 1])).length).toBe(48);
  });
  it('the plain and equivariant networks are matched in parameters (within 5%)', () => {
    const m = matchedPlainWidth({ samples: 24, points: 24, batch: 32, dim: 2, width: 16, kernelWidth: 8, classes: CLASS_NAMES.length });
    expect(Math.abs(m.plain - m.equivariant) / m.equivariant).toBeLessThan(0.05);
  });
});
