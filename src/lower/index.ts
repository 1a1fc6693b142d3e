export * from '../plan/plan';
export * from './program';
export * from './meter';
export * from './instrument';
export * from './kernel-optic';
export * from './grads';
export * from './plan-cells';
