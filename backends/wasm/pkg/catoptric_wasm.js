// Hand-written loader for catoptric_wasm_bg.wasm (laid out like wasm-pack's pkg/; no wasm-bindgen).
// Works in Node and in browsers: the module is embedded as base64 (catoptric_wasm_bytes.js), or you
// pass your own bytes, WebAssembly.Module, Response or URL.
//
// Memory rule: WebAssembly memory may grow during any call that allocates, which detaches every
// ArrayBuffer view of it. This loader never keeps a view; use `f32View` right before reading or
// writing, and drop it before the next call into the module.
import { wasmBase64 } from './catoptric_wasm_bytes.js';

/** The ABI version this loader speaks; the module must report the same from cat_abi_version(). */
export const ABI_VERSION = 5;

let current;

const decodeBase64 = (s) => {
  if (typeof atob === 'function') {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // eslint-disable-next-line no-undef
  return new Uint8Array(Buffer.from(s, 'base64'));
};

/** The embedded module's bytes. */
export const embeddedBytes = () => decodeBase64(wasmBase64);

const checkAbi = (instance) => {
  const e = instance.exports;
  if (typeof e.cat_abi_version !== 'function') throw new Error('catoptric_wasm: this is not a catoptric WebAssembly module (no cat_abi_version export)');
  const v = e.cat_abi_version();
  if (v !== ABI_VERSION)
    throw new Error(`catoptric_wasm: ABI version mismatch: the module speaks ${v}, this loader ${ABI_VERSION}; rebuild with npm run build:wasm`);
  return e;
};

const isResponse = (x) => typeof Response !== 'undefined' && x instanceof Response;

/**
 * A new, independent instance (its own memory) from `input` (default: the embedded module).
 * Resolves to the instance's exports.
 */
export async function instantiate(input) {
  let src = input === undefined ? embeddedBytes() : await input;
  if (typeof src === 'string' || (typeof URL !== 'undefined' && src instanceof URL)) src = await fetch(src);
  if (isResponse(src)) {
    if (!src.ok) throw new Error(`catoptric_wasm: fetching the module failed: ${src.status} ${src.statusText}`);
    if (typeof WebAssembly.instantiateStreaming === 'function') {
      try {
        const r = await WebAssembly.instantiateStreaming(src.clone(), {});
        return checkAbi(r.instance);
      } catch (e) {
        // wrong MIME type: fall back to bytes below
      }
    }
    src = await src.arrayBuffer();
  }
  if (src instanceof WebAssembly.Module) return checkAbi(await WebAssembly.instantiate(src, {}));
  const r = await WebAssembly.instantiate(src, {});
  return checkAbi(r.instance);
}

/** Synchronous `instantiate` from bytes or a `WebAssembly.Module` (default: the embedded module). */
export function instantiateSync(input) {
  const src = input === undefined ? embeddedBytes() : input;
  const module = src instanceof WebAssembly.Module ? src : new WebAssembly.Module(src);
  return checkAbi(new WebAssembly.Instance(module, {}));
}

/** Initialise the shared instance (idempotent). Resolves to its exports. */
export default async function init(input) {
  if (current === undefined) current = await instantiate(input);
  return current;
}

/** Initialise the shared instance synchronously (idempotent). Browsers may refuse large synchronous compiles on the main thread. */
export function initSync(input) {
  if (current === undefined) current = instantiateSync(input);
  return current;
}

/** The shared instance's exports, or undefined before init. */
export function initialised() {
  return current;
}

/** A fresh Float32Array view of `len` floats at byte address `ptr`. Do not keep it across calls. */
export function f32View(exports, ptr, len) {
  return new Float32Array(exports.memory.buffer, ptr, len);
}
