/**
 * The table of ONNX emitters, one per primitive (the ONNX counterpart of a backend's kernel list).
 * A primitive missing here is a `MissingKernelError` naming it when a term is exported.
 *
 * @module
 */
import type { SomeEmitter } from './emitter';
import { attentionEmitter } from './emit/attention';
import { basicEmitters, structuralEmitters } from './emit/basic';
import { deltaRuleEmitter } from './emit/delta';
import { poolingEmitters } from './emit/pooling';
import { tensorProductEmitters } from './emit/tensor-product';
import { outerMemoryEmitter, topkWriteEmitter } from './emit/pmi';
import { affineEmitters } from './emit/affine';

/** Every emitter, in one list. */
export const onnxEmitters: readonly SomeEmitter[] = [
  ...structuralEmitters, ...basicEmitters, attentionEmitter, deltaRuleEmitter, ...poolingEmitters, ...tensorProductEmitters, outerMemoryEmitter, topkWriteEmitter,
  ...affineEmitters,
];
