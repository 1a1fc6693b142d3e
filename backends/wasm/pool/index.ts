// The worker pool of the wasm backend (see pool.ts).
export { initWasm, initWasmThreads, initWasmThreadsSync, platformSpawner, type ThreadedWasmBackend, type WasmThreadOptions } from './init';
export { WasmPool, DEFAULT_MIN_WORK, attachPool, poolOf, partsFor, runCalls, type PoolOptions } from './pool';
export { splitRules, extentOf, type Region, type SplitExport } from './regions';
export { gemmRowBlocks, pooledGemm } from './split';
export type { Reply, Spawner, WorkerLink } from './link';
