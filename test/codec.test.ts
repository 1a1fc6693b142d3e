import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import '../src/prims'; // every committed primitive description
import type { Term } from '../src/term/term';
import {
  type DocIssue,
  type SpecDoc,
  checkSpec,
  decodeSpec,
  decodeTerm,
  encodeSpec,
  encodeTerm,
  formatIssues,
  jsonPathOfNode,
  loadSpec,
} from '../src/term/codec';

const boxName = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const attrs = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

/** Arbitrary terms of the term language (any primitive names and JSON attributes: grammar only). */
const termArb: fc.Arbitrary<Term> = fc.letrec<{ term: Term }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record(
      { op: fc.constant('prim' as const), prim: fc.string({ maxLength: 8 }), attrs, variant: fc.string({ maxLength: 6 }), name: boxName },
      { requiredKeys: ['op', 'prim'] },
    ),
    fc.record({ op: fc.constantFrom('seq' as const, 'par' as const), terms: fc.array(tie('term'), { minLength: 1, maxLength: 3 }), name: boxName }, { requiredKeys: ['op', 'terms'] }),
  ),
})).term;

const ok = <A>(r: E.Either<DocIssue[], A>): A => {
  if (E.isLeft(r)) throw new Error(formatIssues(r.left).join('\n'));
  return r.right;
};
const issues = (r: E.Either<DocIssue[], unknown>): string[] => {
  if (E.isRight(r)) throw new Error('expected issues');
  return formatIssues(r.left, 'x.json');
};

const linear = (out: unknown, extra: object = {}) => ({ op: 'prim', prim: 'linear', attrs: { out }, ...extra });
const doc = (model: unknown, more: object = {}) => ({ catoptric: 1, name: 'm', inputs: [[4, 2]], model, ...more });

describe('term codec', () => {
  test.prop([termArb], { numRuns: 200 })('decode ∘ encode = id', (term) => {
    expect(ok(decodeTerm(encodeTerm(term)))).toEqual(term);
  });
  test.prop([termArb], { numRuns: 100 })('decode ∘ JSON ∘ encode = JSON round trip of the term', (term) => {
    const viaJson = JSON.parse(JSON.stringify(encodeTerm(term)));
    expect(ok(decodeTerm(viaJson))).toEqual(JSON.parse(JSON.stringify(term)));
  });
  test.prop([termArb, fc.array(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }), { maxLength: 3 })], { numRuns: 100 })(
    'documents round-trip too',
    (model, inputs) => {
      const d: SpecDoc = { catoptric: 1, name: 'n', inputs, model, plan: { remat: ['0'] }, task: { name: 'parity', options: { length: 3 } }, train: { steps: 3 } };
      expect(ok(decodeSpec(encodeSpec(d)))).toEqual(d);
    },
  );
});

describe('decode errors name the JSON path', () => {
  it('attribute of the wrong type', () => {
    const r = loadSpec(JSON.stringify(doc({ op: 'seq', terms: [linear(8), { op: 'prim', prim: 'tanh' }, linear('wide')] })));
    expect(issues(r)).toEqual(['x.json: model.terms.2.attrs.out: expected positive integer, got "wide"']);
  });
  it('every grammar problem at once', () => {
    const r = decodeSpec({ ...doc({ op: 'seq', terms: [{ op: 'loop' }, 3, { op: 'prim', prim: 'relu', name: 'a.b' }] }), inputs: [[4, 0]], trian: {} });
    expect(issues(r)).toEqual([
      "x.json: trian: unknown field (did you mean 'train'?); expected one of 'catoptric', 'name', 'inputs', 'model', '$schema', 'doc', 'plan', 'task', 'train'",
      'x.json: inputs.0.1: expected positive integer, got 0',
      `x.json: model.terms.0.op: expected 'prim', 'seq' or 'par', got "loop"`,
      "x.json: model.terms.1: expected a term (an object with op 'prim', 'seq' or 'par'), got 3",
      `x.json: model.terms.2.name: expected non-empty name without '.', got "a.b"`,
    ]);
  });
  it('missing fields and wrong version', () => {
    expect(issues(decodeSpec({ catoptric: 2, name: 'x' }))).toEqual([
      'x.json: catoptric: expected format version 1, got 2',
      "x.json: inputs: missing required field 'inputs' (array of input shapes)",
      "x.json: model: missing required field 'model' (term)",
    ]);
    expect(issues(decodeSpec(null))).toEqual(['x.json: <root>: expected spec document (an object), got null']);
  });
  it('invalid JSON gives line and column', () => {
    expect(issues(loadSpec('{\n  "a": 1,\n}'))[0]).toMatch(/^x\.json: <root>: invalid JSON at line 3, column 1/);
  });
  it('unknown primitives, attributes and variants, with hints', () => {
    const r = loadSpec(
      JSON.stringify(doc({ op: 'seq', terms: [{ op: 'prim', prim: 'lineer' }, linear(3, { attrs: { out: 3, biass: true } }), { op: 'prim', prim: 'softmax', variant: 'nope' }] })),
    );
    expect(issues(r)).toEqual([
      `x.json: model.terms.0.prim: unknown primitive "lineer" (did you mean 'linear'?); see \`catoptric prims\``,
      "x.json: model.terms.1.attrs.biass: unknown attribute of 'linear' (did you mean 'bias'?); expected one of 'out', 'bias'",
      `x.json: model.terms.2.variant: expected one of 'output' (variants of 'softmax'), got "nope"`,
    ]);
  });
  it('shape errors point at the node, by JSON path and node path', () => {
    const model = { op: 'seq', terms: [linear(3), { op: 'seq', name: 'blk', terms: [{ op: 'prim', prim: 'copy' }, { op: 'prim', prim: 'mse', name: 'loss' }, { op: 'prim', prim: 'add' }] }] };
    expect(issues(loadSpec(JSON.stringify(doc(model))))).toEqual([
      'x.json: model.terms.1.terms.2: add (node blk.2): expects 2 input wire(s), got 1',
    ]);
    expect(jsonPathOfNode(ok(decodeSpec(doc(model))).model, ['blk', 'loss'])).toEqual(['model', 'terms', 1, 'terms', 1]);
  });
  it('plans name existing nodes and variants', () => {
    const r = loadSpec(JSON.stringify(doc({ op: 'seq', terms: [linear(3), { op: 'prim', prim: 'softmax' }] }, { plan: { variants: { '1': 'nope', '7': 'x' }, remat: ['0', 'q'] } })));
    expect(issues(r)).toEqual([
      `x.json: plan.variants.1: expected one of 'output' (variants of 'softmax'), got "nope"`,
      "x.json: plan.variants.7: no node at path '7' in the model",
      "x.json: plan.remat.1: no node at path 'q' in the model",
    ]);
  });
  it('a valid document checks', () => {
    const c = ok(checkSpec(ok(decodeSpec(doc({ op: 'seq', terms: [linear(3), { op: 'prim', prim: 'relu' }] })))));
    expect(c.model.root.outputs).toEqual([[4, 3]]);
    expect([...c.model.params.keys()]).toEqual(['0.w', '0.b']);
  });
});

describe('JSON Schema for editors', () => {
  it('has a branch per registered primitive with its attributes and variants', async () => {
    const { specSchema } = await import('../src/term/schema');
    const { primitiveNames } = await import('../src/term/primitive');
    const s = specSchema() as any;
    const branches = s.$defs.prim.allOf as any[];
    expect(branches.map((b) => b.if.properties.prim.const)).toEqual(primitiveNames());
    const linear = branches.find((b) => b.if.properties.prim.const === 'linear').then;
    expect(linear.properties.attrs.properties.out).toMatchObject({ type: 'integer', minimum: 1 });
    expect(linear.properties.attrs.required).toEqual(['out']);
    expect(linear.properties.variant).toEqual({ enum: ['input'] });
  });
  it('the committed schema is exactly what `catoptric schema` generates (regenerate it after adding a primitive)', async () => {
    const fs = await import('node:fs');
    const { specSchema } = await import('../src/term/schema');
    const committed = fs.readFileSync('schema/catoptric-spec.schema.json', 'utf8');
    expect(committed, 'run: npx tsx src/cli/main.ts schema --out schema/catoptric-spec.schema.json').toBe(JSON.stringify(specSchema(), null, 2) + '\n');
  });
  it('the committed schema knows every primitive the examples use', async () => {
    const fs = await import('node:fs');
    const committed = JSON.parse(fs.readFileSync('schema/catoptric-spec.schema.json', 'utf8'));
    const known = new Set(committed.$defs.prim.properties.prim.enum);
    const used = fs.readdirSync('examples', { withFileTypes: true }).filter((d) => d.isDirectory())
      .flatMap((d) => fs.readdirSync(`examples/${d.name}`).filter((f) => f.endsWith('.json')).map((f) => fs.readFileSync(`examples/${d.name}/${f}`, 'utf8')))
      .flatMap((text) => [...text.matchAll(/"prim": ?"([^"]+)"/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(0);
    for (const p of used) expect(known.has(p)).toBe(true);
  });
});
