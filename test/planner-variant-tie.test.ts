import { describe, expect, it } from 'vitest';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import type { PrimitiveDef } from '../src/term/primitive';
import type { TypedModel, TypedPrim } from '../src/term/check';
import { checkOrThrow, planCandidates, prim, seq } from '../src/index';

// A primitive with two variants that keep the same number of elements, the second with a cheaper
// backward (no primitive of the library has such a pair yet). It is not registered (registering
// would show it to the files that list every primitive): the model is checked with a tanh in its
// place, and the node then takes this description and its cost; planning reads only those.
const tie: PrimitiveDef = {
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
};

const withTie = (): TypedModel => {
  const base = checkOrThrow(seq(prim('tanh'), prim('tanh')), [[4, 8]]);
  const root = base.root as TypedModel['root'] & { readonly children: readonly TypedPrim[] };
  const old = root.children[0]!;
  const node: TypedPrim = { ...old, def: tie, variant: 'slow', cost: tie.cost({}, old.inputs, 'slow') };
  return { ...base, root: { ...root, children: [node, root.children[1]!] } } as TypedModel;
};

describe('variantChoices: equal residuals, then the cheaper backward', () => {
  it('the lean variant set picks the variant whose backward costs less', () => {
    const points = planCandidates(withTie()).points;
    const store = (label: string) => points.find((p) => p.label === label)!;
    const lean = store('store all, lean variants');
    expect(lean, points.map((p) => p.label).join(', ')).toBeDefined();
    expect(lean.plan.variants).toEqual({ '0': 'fast' });
    // Same residuals (peak), 9·32 fewer backward flops.
    expect(lean.peakBytes).toBe(store('store all').peakBytes);
    expect(store('store all').flops - lean.flops).toBe(9 * 32);
  });
});
