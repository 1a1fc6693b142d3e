import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crateExports, dtsOf, parseExports } from '../backends/wasm/abi.mjs';
import { embeddedBytes } from '../backends/wasm/pkg/catoptric_wasm.js';

const src = 'backends/wasm/src';

describe('the wasm ABI has one declaration (the Rust extern "C" signatures)', () => {
  it('the committed catoptric_wasm.d.ts is generated from it', () => {
    expect(readFileSync('backends/wasm/pkg/catoptric_wasm.d.ts', 'utf8'), 'run: npm run build:wasm').toBe(dtsOf(src));
  });

  it('the committed module exports exactly those functions, with those arities, and its memory', () => {
    const module = new WebAssembly.Module(embeddedBytes());
    const exported = WebAssembly.Module.exports(module);
    const fns = crateExports(src);
    expect(exported.filter((e) => e.kind === 'memory').map((e) => e.name)).toEqual(['memory']);
    expect(exported.filter((e) => e.kind === 'function').map((e) => e.name).sort()).toEqual(fns.map((f) => f.name).sort());
    const instance = new WebAssembly.Instance(module, {});
    const arity = Object.fromEntries(fns.map((f) => [f.name, f.params.length]));
    for (const [name, fn] of Object.entries(instance.exports))
      if (typeof fn === 'function') expect(fn.length, name).toBe(arity[name]);
  });

  it('refuses an extern "C" fn that is not exported by name, or a type that is not a number', () => {
    expect(() => parseExports('pub extern "C" fn cat_x(n: usize) {\n}\n', 'x.rs')).toThrow('x.rs:1: extern "C" fn cat_x lacks #[no_mangle]');
    expect(() => parseExports('#[no_mangle]\npub extern "C" fn cat_y(v: Vec<f32>) {\n}\n', 'y.rs')).toThrow(
      'y.rs:2: parameter v of cat_y has type Vec<f32>, not a number on the wasm32 boundary',
    );
    expect(parseExports('/// Doc.\n#[no_mangle]\npub unsafe extern "C" fn cat_z(\n    a: *const f32,\n    _n: usize,\n) -> i32 {\n', 'z.rs')).toEqual([
      { name: 'cat_z', params: [{ name: 'a', type: '*const f32' }, { name: '_n', type: 'usize' }], returns: 'i32', doc: 'Doc.' },
    ]);
  });
});
