export * from './plan';
export * from './program';
