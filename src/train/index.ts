export * from './init';
export * from './optim';
export * from './loop';
export * from './metrics';
export * from './loop-async';
export { DataParallel, shardBatch, combineShards, type DataParallelOptions } from './parallel';
