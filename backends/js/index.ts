// Importing this module registers the JS kernels of the basic primitives.
import '../../src/prims';
import './kernels/structural';
import './kernels/basic';
import './kernels/attention';
import './kernels/tensor-product';
import './kernels/pooling';
import './kernels/pooling-mcb';
import './kernels/delta';
export { jsBackend, registerJsKernel, like, type JsTensor, type JsKernel } from './registry';
export * from './kernels/linalg';
export { softmaxRows } from './kernels/basic';
export { attentionLseToProbs, attentionAllocStats, resetAttentionAllocStats } from './kernels/attention';
export * from './kernels/delta-core';
