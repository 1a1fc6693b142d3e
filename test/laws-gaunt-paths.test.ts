/**
 * gauntCoefficientError (laws/equivariant.ts) visits every path: with the 3j-symbol Gaunt tensor of
 * one path (l₁, l₂, l₃) off by 1e-6 in one entry, the law's error is at least 1e-6, for the
 * largest path (L, L, 2L) and a middle one (L, L, L). The module is mocked here only to inject that
 * one wrong path; its own values are tested in test/coupling.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';

const wrong = vi.hoisted(() => ({ at: '' }));
vi.mock('../src/equivariant/coupling', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/equivariant/coupling')>();
  return {
    ...m,
    realGaunt: (l1: number, l2: number, l3: number) => {
      const r = m.realGaunt(l1, l2, l3);
      if (wrong.at !== `${l1},${l2},${l3}`) return r;
      const tensor = r.tensor.slice();
      tensor[0] = tensor[0]! + 1e-6;
      return { ...r, tensor };
    },
  };
});

const { gauntCoefficientError } = await import('../laws/equivariant');

describe('gauntCoefficientError visits every path', () => {
  it('a wrong (2, 2, 4) or (2, 2, 2) path shows at L = 2; none shows rounding only', () => {
    wrong.at = '';
    expect(gauntCoefficientError(2)).toBeLessThan(1e-12);
    for (const at of ['2,2,4', '2,2,2', '0,2,2', '2,0,2']) {
      wrong.at = at;
      expect(gauntCoefficientError(2), at).toBeGreaterThanOrEqual(1e-6 * (1 - 1e-6));
    }
    wrong.at = '';
  });
});
