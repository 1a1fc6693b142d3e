import { describe, expect, it } from 'vitest';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { definePrimitive } from '../src/term/primitive';
import { checkOrThrow, planCandidates, prim, seq } from '../src/index';

// A primitive defined only here: two variants that keep the same number of elements, the second
// with a cheaper backward (no primitive of the library has such a pair yet).
definePrimitive({
  name: 'test_variant_tie',
  doc: 'test primitive: x ↦ x with two residual variants of equal size',
  attrs: t.type({}),
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => E.right({ outputs: [x!], params: {} }),
  variants: ['slow', 'fast'],
  cost: (_a, [x], v) => {
    const n = x!.reduce((a, b) => a * b, 1);
    return { fwdFlops: n, bwdFlops: v === 'fast' ? n : 10 * n, residualElems: n, paramElems: 0 };
  },
});

describe('variantChoices: equal residuals, then the cheaper backward', () => {
  it('the lean variant set picks the variant whose backward costs less', () => {
    const model = checkOrThrow(seq(prim('test_variant_tie', {}), prim('tanh')), [[4, 8]]);
    const points = planCandidates(model).points;
    const store = (label: string) => points.find((p) => p.label === label)!;
    const lean = store('store all, lean variants');
    expect(lean, points.map((p) => p.label).join(', ')).toBeDefined();
    expect(lean.plan.variants).toEqual({ '0': 'fast' });
    // Same residuals (peak), 9·32 fewer backward flops.
    expect(lean.peakBytes).toBe(store('store all').peakBytes);
    expect(store('store all').flops - lean.flops).toBe(9 * 32);
  });
});
