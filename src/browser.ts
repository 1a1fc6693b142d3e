/**
 * The browser bundle's entry (`dist/browser/catoptric.js`): the whole library and the WebAssembly
 * backend in one ES module, with fp-ts and io-ts inside and the wasm module inlined, so that a plain
 * `<script type="module">` can import it with no bundler and no import map.
 *
 * @example
 * import { checkOrThrow, initWasm, lowerOrThrow, prim } from './catoptric.js';
 * const be = await initWasm();
 *
 * @packageDocumentation
 */
export * from './index';
export * from '../backends/wasm/index';
// Both backends export a 2-cell map of the same name: the JS one keeps its name (as in `catoptric`),
// the wasm one is renamed here.
export { attentionLseToProbs } from './index';
export { attentionLseToProbs as wasmAttentionLseToProbs } from '../backends/wasm/index';
