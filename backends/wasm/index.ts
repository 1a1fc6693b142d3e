// The WebAssembly backend: Rust (std only, SIMD128) compiled to wasm32-unknown-unknown, loaded by
// the hand-written loader in ./pkg. Call `await initWasm()` (or `initWasmSync()`) once, then
// `wasmBackend()`; pass a kernel list (`[...wasmKernels, myKernel]`) to either to add kernels.
export {
  initWasmSync,
  wasmBackend,
  freshWasmBackend,
  freshWasmBackendSync,
  backendOn,
  WasmRuntime,
  WasmMemoryError,
  MAX_TENSOR_BYTES,
  type WasmBackend,
  type WasmBuffer,
  type WasmTensor,
} from './runtime';
export { wasmKernel, type WasmKernel, type SomeWasmKernel } from './kernel';
export { wasmKernels } from './kernels';
export { gemm, rowsCols } from './kernels/basic';
export { attentionLseToProbs } from './kernels/attention';
export { ABI_VERSION } from './pkg/catoptric_wasm.js';
// The worker pool: `initWasm({ threads })` (this `initWasm` also takes the single-threaded arguments).
export * from './pool/index';
export { wasmSpgemm } from './kernels/sparse';
