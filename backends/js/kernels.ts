// Every kernel of the JS backend, one line each (the default list of `jsBackend`). A new primitive's
// JS kernel is one line here.
import type { SomeJsKernel } from './kernel';
import { add, copy, discard, id, permute, reshape } from './kernels/structural';
import { embedding, gelu, layernorm, linear, mse, relu, rmsnorm, sigmoid, silu, softmax, softmaxXent, tanh } from './kernels/basic';
import { attention } from './kernels/attention';
import { gauntTensorProduct, tensorProduct } from './kernels/tensor-product';
import { bilinear, concatLast, hadamard, outerProduct, signedSqrtL2, sumPool } from './kernels/pooling';
import { mcb } from './kernels/pooling-mcb';
import { deltaRule, lastPosition } from './kernels/delta';
import { outerMemory, topkWrite } from './kernels/pmi';
import { axisPool, groupConv, groupLift } from './kernels/affine';
import { spgemm, spmm, sddmm } from './kernels/sparse';

/** The JS kernels of every committed primitive. */
export const jsKernels: readonly SomeJsKernel[] = [
  id,
  copy,
  add,
  discard,
  permute,
  reshape,
  linear,
  embedding,
  relu,
  gelu,
  tanh,
  sigmoid,
  silu,
  softmax,
  layernorm,
  rmsnorm,
  mse,
  softmaxXent,
  attention,
  tensorProduct,
  gauntTensorProduct,
  outerProduct,
  signedSqrtL2,
  mcb,
  bilinear,
  hadamard,
  sumPool,
  concatLast,
  deltaRule,
  lastPosition,
  outerMemory,
  topkWrite,
  groupLift,
  groupConv,
  axisPool,
  spgemm,
  spmm,
  sddmm,
];
