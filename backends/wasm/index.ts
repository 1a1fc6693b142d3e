// The WebAssembly backend: Rust (std only, SIMD128) compiled to wasm32-unknown-unknown, loaded by
// the hand-written loader in ./pkg. Importing this module registers the wasm kernels; call
// `await initWasm()` (or `initWasmSync()`) once, then `wasmBackend()`.
import './kernels/structural';
import './kernels/basic';
import './kernels/delta';
import './kernels/attention';
import './kernels/pooling';
import './kernels/tensor-product';
export {
  initWasm,
  initWasmSync,
  wasmBackend,
  freshWasmBackend,
  freshWasmBackendSync,
  registerWasmKernel,
  backendOn,
  WasmRuntime,
  WasmMemoryError,
  MAX_TENSOR_BYTES,
  type WasmBackend,
  type WasmBuffer,
  type WasmTensor,
  type WasmKernelFactory,
} from './runtime';
export { gemm, rowsCols } from './kernels/basic';
export { attentionLseToProbs } from './kernels/attention';
export { ABI_VERSION } from './pkg/catoptric_wasm.js';
