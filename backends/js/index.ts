// The JS backend: `jsBackend(dtype, kernels = jsKernels)`, its kernel list and kernel helpers.
export { jsBackend } from './backend';
export { jsKernels } from './kernels';
export { jsKernel, like, type JsTensor, type JsKernel, type SomeJsKernel } from './kernel';
export * from './kernels/linalg';
export { softmaxRows } from './kernels/basic';
export { attentionLseToProbs, attentionAllocStats, resetAttentionAllocStats } from './kernels/attention';
export * from './kernels/delta-core';
