import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, codecFields, describePrimitive, initParams, jsBackend, lookupPrimitive, lowerOrThrow, primitiveNames, rng, randn, type PrimTerm } from '../src/index';
import { conformanceSuites } from '../laws/suites';
import { run } from '../src/cli/run';
import type { Io } from '../src/cli/io';

const cli = async (...argv: string[]) => {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false, readFile: () => '', writeFile: () => undefined, now: () => 0 };
  const code = await run(argv, io);
  return { code, out, err };
};

describe('primitive descriptions document every attribute', () => {
  for (const name of primitiveNames()) {
    const def = lookupPrimitive(name)!;
    it(`${name}: attrDocs cover exactly the codec's attributes; optional ones say their default, and it decodes`, () => {
      const fields = codecFields(def.attrs);
      expect(fields, 'an object codec').toBeDefined();
      expect(Object.keys(def.attrDocs ?? {}).sort()).toEqual(fields!.map((f) => f.name).sort());
      for (const f of fields!) {
        const d = def.attrDocs![f.name]!;
        expect(d.doc.length).toBeGreaterThan(3);
        if (f.required) expect(d.default, `${name}.${f.name} is required: no default`).toBeUndefined();
        else if (d.default === undefined) expect(d.doc, `${name}.${f.name}: a computed default is described`).toMatch(/default|exactly one|required/);
        else expect(E.isRight(f.codec.decode(d.default)), `${name}.${f.name}: default ${JSON.stringify(d.default)} decodes`).toBe(true);
      }
    });
  }
});

describe('documented defaults are what the kernels do', () => {
  const be = jsBackend('float64');
  // Single-primitive conformance cases: spell out each absent optional attribute's documented default.
  const cases = Object.values(conformanceSuites).flat().filter((c) => c.term.op === 'prim');
  for (const c of cases) {
    const term = c.term as PrimTerm;
    const info = describePrimitive(lookupPrimitive(term.prim)!);
    const missing = info.attrs.filter((a) => a.default !== undefined && !(a.name in (term.attrs ?? {})));
    if (!missing.length) continue;
    it(`${c.name}: the same shapes, cost and outputs with ${missing.map((a) => `${a.name}=${JSON.stringify(a.default)}`).join(', ')} written out`, () => {
      const explicit: PrimTerm = { ...term, attrs: { ...term.attrs, ...Object.fromEntries(missing.map((a) => [a.name, a.default])) } };
      const m0 = checkOrThrow(term, c.inputs);
      const m1 = checkOrThrow(explicit, c.inputs);
      expect(m1.root.outputs).toEqual(m0.root.outputs);
      expect([...m1.params.values()].map((p) => [p.key, p.shape])).toEqual([...m0.params.values()].map((p) => [p.key, p.shape]));
      const params = initParams(m0, 3, 'float64');
      const inputs = c.sample ? c.sample(3) : c.inputs.map((s, i) => randn(s, rng(3).fork(i)));
      const run0 = lowerOrThrow(m0, be).forward(params, inputs.map((x) => be.upload(x))).outputs.map((o) => Array.from(be.download(o).data));
      const run1 = lowerOrThrow(m1, be).forward(params, inputs.map((x) => be.upload(x))).outputs.map((o) => Array.from(be.download(o).data));
      expect(run1).toEqual(run0);
    });
  }
  it('compares something', () => {
    expect(cases.length).toBeGreaterThan(10);
  });
});

describe('catoptric prims', () => {
  it('prims mcb --json gives attribute types, required flags and docs', async () => {
    const r = await cli('prims', 'mcb', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.name).toBe('mcb');
    expect(j.attrs.find((a: any) => a.name === 'd')).toMatchObject({ type: 'positive integer', required: true });
    expect(j.attrs.find((a: any) => a.name === 'seed')).toMatchObject({ type: 'integer of at most 2^53 − 1 in size', required: false });
    expect(j.arity).toEqual({ inputs: 2, outputs: 1 });
    expect(j.variants).toEqual(['sketch', 'input', 'spectra']);
    expect(j.twoCells.map((c: any) => `${c.from}⇒${c.to}`)).toEqual(['input⇒sketch', 'sketch⇒spectra']);
  });
  it('defaults show in JSON and text', async () => {
    const j = JSON.parse((await cli('prims', 'delta_rule', '--json')).out);
    expect(j.attrs.find((a: any) => a.name === 'algorithm')).toMatchObject({ type: '"recurrent" | "chunkwise"', required: false, default: 'recurrent' });
    expect(j.attrs.find((a: any) => a.name === 'chunk')).toMatchObject({ default: 64 });
    const t = (await cli('prims', 'linear')).out;
    expect(t).toMatch(/out +positive integer; required/);
    expect(t).toMatch(/bias +boolean; default true/);
    expect(t).toMatch(/arity: 1 input wire\(s\) → 1 output wire\(s\)/);
  });
  it('every primitive in one JSON list; permute says its arity is set by an attribute', async () => {
    const all = JSON.parse((await cli('prims', '--json')).out);
    expect(all.map((p: any) => p.name)).toEqual(primitiveNames());
    expect(all.find((p: any) => p.name === 'permute').arity).toBeNull();
  });
  it('an unknown name is one error with a hint', async () => {
    const r = await cli('prims', 'mbc');
    expect(r.code).toBe(1);
    expect(r.err).toBe("catoptric prims: unknown primitive \"mbc\" (did you mean 'mcb'?); see `catoptric prims`\n");
  });
});
