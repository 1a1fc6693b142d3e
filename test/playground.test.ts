import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { loadSpec } from '../src/index';
import { jsonSpans, locate, offsetOf } from '../playground/locate';
import { decodeSpecHash, encodeSpecHash } from '../playground/share';

const spirals = readFileSync('examples/spirals/spirals.json', 'utf8');

describe('playground: locating JSON paths in the text', () => {
  it('finds each value and its key', () => {
    const spans = jsonSpans(spirals);
    const out = locate(spans, ['model', 'terms', 2, 'attrs', 'out'])!;
    expect(spirals.slice(out.from, out.to)).toBe('64');
    expect(spirals.slice(out.keyFrom!, out.to)).toBe('"out": 64');
    const term = locate(spans, ['model', 'terms', 4])!;
    expect(JSON.parse(spirals.slice(term.from, term.to))).toEqual(JSON.parse(spirals).model.terms[4]);
    // A missing field is shown at the object that should hold it.
    const missing = locate(spans, ['train', 'optimizer'])!;
    expect(JSON.parse(spirals.slice(missing.from, missing.to))).toEqual(JSON.parse(spirals).train);
    expect(locate(spans, [])).toEqual({ from: 0, to: spirals.trimEnd().length });
  });
  test.prop([fc.json({ maxDepth: 4 })], { numRuns: 200 })('every path of any JSON text spans exactly its value', (text) => {
    const value = JSON.parse(text);
    const pretty = JSON.stringify(value, null, 1);
    for (const t of [text, pretty]) {
      const spans = jsonSpans(t);
      const walk = (v: unknown, path: (string | number)[]): void => {
        const s = locate(spans, path)!;
        expect(JSON.parse(t.slice(s.from, s.to))).toEqual(v);
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      };
      walk(JSON.parse(t), []);
    }
  });
  it('every issue of a broken example points at the broken characters', () => {
    const broken = spirals.replace('"out": 2', '"out": -2').replace('"prim": "tanh"', '"prim": "tanhh"');
    const r = loadSpec(broken);
    if (E.isRight(r)) throw new Error('expected issues');
    const spans = jsonSpans(broken);
    const texts = r.left.map((i) => { const s = locate(spans, i.path)!; return broken.slice(s.keyFrom ?? s.from, s.to); });
    expect(r.left.map((i) => i.path.join('.'))).toEqual(['model.terms.1.prim', 'model.terms.4.attrs.out']);
    expect(texts).toEqual(['"prim": "tanhh"', '"out": -2']);
  });
  it('line and column to offset', () => {
    expect(offsetOf('ab\ncd\nef', 2, 2)).toBe(4);
    expect(offsetOf('ab\ncd', 9, 1)).toBe(5);
  });
});

describe('playground: the spec in the URL', () => {
  it('round-trips every example, and is shorter than the text', async () => {
    for (const f of ['spirals/spirals.json', 'parity/parity.json', 'tensor-product/gaunt.json']) {
      const text = readFileSync(`examples/${f}`, 'utf8');
      const h = await encodeSpecHash(text);
      expect(h).toMatch(/^#spec=[A-Za-z0-9_-]+$/);
      expect(h.length).toBeLessThan(text.length);
      expect(await decodeSpecHash(h)).toEqual({ text });
    }
  });
  test.prop([fc.string({ unit: 'grapheme', maxLength: 300 })], { numRuns: 50 })('round-trips any text', async (text) => {
    expect(await decodeSpecHash(await encodeSpecHash(text))).toEqual({ text });
  });
  it('a damaged link is a message, not an exception; no spec is undefined', async () => {
    const r = await decodeSpecHash('#spec=AAAA');
    expect(r && 'error' in r && r.error).toMatch(/could not be read/);
    expect(await decodeSpecHash('')).toBeUndefined();
    expect(await decodeSpecHash('#other')).toBeUndefined();
  });
});
