import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import '../src/prims'; // every committed primitive description
import { checkSpec, decodeSpec, loadSpec, type DocIssue } from '../src/term/codec';
import { primitiveNames } from '../src/term/primitive';

/**
 * Robustness: whatever JSON comes in, decode + check answer with typed issues (each with a JSON path
 * and a message) or a checked model — never any other exception.
 */
const decodeAndCheck = (u: unknown) => {
  const d = decodeSpec(u);
  return E.isLeft(d) ? d : checkSpec(d.right);
};

const isIssueList = (x: unknown): x is DocIssue[] =>
  Array.isArray(x) &&
  x.length > 0 &&
  x.every((i) => Array.isArray(i.path) && i.path.every((k: unknown) => typeof k === 'string' || typeof k === 'number') && typeof i.message === 'string' && i.message.length > 0);

const answersTyped = (u: unknown): void => {
  const r = decodeAndCheck(u);
  if (E.isLeft(r)) expect(isIssueList(r.left)).toBe(true);
  else expect(r.right.model.root.inputs).toEqual(r.right.doc.inputs);
};

const examples = fs
  .readdirSync('examples', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => fs.readdirSync(path.join('examples', d.name)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join('examples', d.name, f), 'utf8'))));

/** Every path (keys) into a JSON value. */
const pathsOf = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
};

/** A plausible-but-wrong value: numbers near the edges, other types, real primitive names, structure. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1.5, 1e9, 2 ** 31, Number.MAX_SAFE_INTEGER, '', 'x.y', null, [], {}, true),
  fc.constantFrom(...primitiveNames()),
  fc.constantFrom({ op: 'prim', prim: 'linear' }, { op: 'seq', terms: [] }, { op: 'par', terms: [{ op: 'prim', prim: 'copy' }] }, { op: 'prim', prim: 'attention', attrs: { heads: 3 } }),
);

type Mutation = { kind: 'set' | 'delete' | 'dup'; pick: number; value: unknown };
const mutation = fc.record({ kind: fc.constantFrom<'set' | 'delete' | 'dup'>('set', 'set', 'delete', 'dup'), pick: fc.nat(), value: junk });

const mutate = (doc: unknown, ms: readonly Mutation[]): unknown => {
  let cur = structuredClone(doc);
  for (const m of ms) {
    const paths = pathsOf(cur);
    const p = paths[m.pick % paths.length]!;
    if (p.length === 0) {
      if (m.kind === 'set') cur = structuredClone(m.value);
      continue;
    }
    const parent = p.slice(0, -1).reduce((o: any, k) => o[k], cur) as any;
    const key = p[p.length - 1]!;
    if (m.kind === 'set') parent[key] = structuredClone(m.value);
    else if (m.kind === 'delete') Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
    else if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(parent[Number(key)]));
    else parent[`${String(key)}_`] = structuredClone(parent[key]);
  }
  return cur;
};

describe('fuzz: decode + check never throw', () => {
  test.prop([fc.jsonValue({ maxDepth: 6 })], { numRuns: 150 })('arbitrary JSON', (u) => {
    answersTyped(u);
  });
  test.prop([fc.record({ catoptric: fc.constant(1), name: fc.string(), inputs: fc.array(fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 4 }), { maxLength: 3 }), model: fc.jsonValue({ maxDepth: 5 }) })], { numRuns: 100 })(
    'documents with arbitrary models',
    (u) => {
      answersTyped(u);
    },
  );
  test.prop([fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 3 })], { numRuns: 300 })('mutated example specs', (doc, ms) => {
    answersTyped(mutate(doc, ms));
  });
  test.prop([fc.string({ maxLength: 60 })], { numRuns: 100 })('arbitrary text', (s) => {
    const r = loadSpec(s);
    if (E.isLeft(r)) expect(isIssueList(r.left)).toBe(true);
  });
  test.prop([fc.constantFrom(...examples)], { numRuns: 10 })('the examples themselves check', (doc) => {
    expect(E.isRight(decodeAndCheck(doc))).toBe(true);
  });
});
