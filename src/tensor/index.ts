export * from './shape';
export * from './tensor';
export * from './rng';
