import type { HostTensor } from '../tensor/tensor';
import type { Backend } from './backend';

/** Upload every tensor of a flat map (parameters, by path) to a backend. */
export const uploadAll = <T>(be: Backend<T>, ts: Readonly<Record<string, HostTensor>>): Record<string, T> =>
  Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, be.upload(v)]));

/** Download every tensor of a flat map (gradients, by path) to the host. */
export const downloadAll = <T>(be: Backend<T>, ts: Readonly<Record<string, T>>): Record<string, HostTensor> =>
  Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, be.download(v)]));

/**
 * Run `f` in the backend's arena when it has one (wasm), so what `f` allocates is given back after
 * it; elsewhere just run `f`. Download results inside `f`.
 */
export const withScope = <T, R>(be: Backend<T>, f: () => R): R => (be.scope ? be.scope(f) : f());
