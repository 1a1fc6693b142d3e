/**
 * Law suites for catoptric: pure predicates plus fast-check wrappers, for checking your own
 * optics, plans and backends.
 *
 * @packageDocumentation
 */
export * from './compare';
export * from './tolerance';
export * from './gradient';
export * from './plan';
export * from './conformance';
export * from './cases';
export * from './optic';
export * from './attention';
export * from './equivariant';
export * from './pooling';
export * from './delta';
export * from './planner';
export * from './functor';
export * from './suites';
export * from './ntk';
export * from './strings';
export * from './ort';
export * from './pmi';
export * from './split';
export * from './affine';
export * from './groups';
export * from './sparse';
