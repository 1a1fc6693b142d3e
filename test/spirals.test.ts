import { describe, expect, it } from 'vitest';
import { runSpirals } from '../examples/spirals/spirals';
import { twoSpirals } from '../src/tasks/spirals';
import { loadBackend } from '../examples/backend';

describe('two spirals example', () => {
  it('trains to ≥ 95% test accuracy from a fixed seed', () => {
    const r = runSpirals({ steps: 300, seed: 0 });
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.losses[299]!).toBeLessThan(r.losses[0]! / 10);
  });
  it('the same seed gives bit-identical losses; another seed does not', () => {
    const a = runSpirals({ steps: 40, seed: 3 }).losses;
    const b = runSpirals({ steps: 40, seed: 3 }).losses;
    const c = runSpirals({ steps: 40, seed: 4 }).losses;
    expect(b.every((l, i) => Object.is(l, a[i]))).toBe(true);
    expect(c.some((l, i) => l !== a[i])).toBe(true);
  });
  it('trains on the wasm backend too, deterministically', async () => {
    const backend = await loadBackend('wasm');
    const a = runSpirals({ steps: 300, seed: 0, backend });
    const b = runSpirals({ steps: 300, seed: 0, backend });
    expect(a.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(b.losses.every((l, i) => Object.is(l, a.losses[i]))).toBe(true);
  });
  it('rejects a bad size', () => {
    expect(() => twoSpirals(0, 1)).toThrow(/perClass must be a positive integer/);
  });
});
