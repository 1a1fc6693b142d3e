/**
 * catoptric: differentiable models as optics. A model is a term; shapes, cost, programs and
 * pictures are interpretations of it.
 *
 * @packageDocumentation
 */
export * from './tensor';
export * from './term';
export * from './prims';
export * from './backend';
export * from './lower';
export * from './train';
export * from './optic';
export * from './equivariant';
export * from './fft';
export * from './models/deltanet';
export * from './plan';
export * from './render';
export * from './tasks';
export * from './ntk';
export * from './active';
export * from './onnx';
export * from '../backends/js';
export * from './strings';
export * from './models/pmi';
export * from './tasks/relational';
export * as groups from './groups';
export * from './sparse';
