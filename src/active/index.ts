/** Pool-based active learning: KECOR selection on a kernel, and the classic baselines. */
export * from './kecor';
export * from './baselines';
