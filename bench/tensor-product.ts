/**
 * Dense (Clebsch–Gordan-style, per-path dense contraction) versus Gaunt (2-D FFT) tensor product:
 * forward time for L₁ = L₂ = L_out = L from 1 to 10 (dense to 12 in full mode is skipped: it
 * grows as L⁶), C = 16 channels, float32 JS backend, both with Gaunt coupling and degree weights so
 * they compute the same function. Reports the crossover L and the fitted log-log slopes of time in L.
 *
 *   npx tsx bench/tensor-product.ts [--json] [--quick]
 */
import { pathToFileURL } from 'node:url';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, rng, type TypedPrim } from '../src/index';
import { shDim } from '../src/equivariant/sh';

export type { BenchRow } from './row';
import type { BenchRow } from './row';

const C = 16;

/** Fastest of repeated runs (at least `minMs` in total): slower repetitions measure other processes. */
const time = (f: () => void, minMs: number): number => {
  f();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < 3 || performance.now() - start < minMs) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
    if (ts.length >= 200) break;
  }
  return Math.min(...ts);
};

/** Least-squares slope of log y against log x. */
export const logLogSlope = (xs: readonly number[], ys: readonly number[]): number => {
  const lx = xs.map(Math.log), ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length, my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0, den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return num / den;
};

const measure = (name: string, attrs: Record<string, unknown>, L: number, minMs: number): BenchRow => {
  const be = jsBackend('float32');
  const shapes = [[C, shDim(L)], [C, shDim(L)]];
  const model = checkOrThrow(prim(name, { l1: L, l2: L, lout: L, ...attrs }), shapes);
  const prog = lowerOrThrow(model, be);
  const params = Object.fromEntries(Object.entries(initParams(model, 1)).map(([k, v]) => [k, be.upload(v)]));
  const xs = shapes.map((s, i) => be.upload(randn(s, rng(2).fork(i), 'float32')));
  const ms = time(() => prog.forward(params, xs), minMs);
  const flops = (model.root as TypedPrim).cost.fwdFlops;
  return { op: name, size: `L=${L} C=${C}`, impl: name === 'tensor_product' ? 'js dense' : 'js gaunt-fft', ms, gflops: flops / ms / 1e6 };
};

/** Run the benchmark; progress and the summary go to stderr unless `json`. */
export const run = async (opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> => {
  const Lmax = opts.quick ? 6 : 10;
  const minMs = opts.quick ? 50 : 300;
  const rows: BenchRow[] = [];
  const log = (s: string) => {
    if (!opts.json) process.stderr.write(`${s}\n`);
  };
  // Warm both kernels' loops once so the first size does not pay for the JIT.
  measure('tensor_product', { coupling: 'gaunt', weights: 'degree' }, 3, 20);
  measure('gaunt_tensor_product', {}, 3, 20);
  for (let L = 1; L <= Lmax; L++) {
    const d = measure('tensor_product', { coupling: 'gaunt', weights: 'degree' }, L, minMs);
    const g = measure('gaunt_tensor_product', {}, L, minMs);
    rows.push(d, g);
    log(`L=${String(L).padStart(2)}  dense ${d.ms.toFixed(3).padStart(9)} ms   gaunt ${g.ms.toFixed(3).padStart(8)} ms   dense/gaunt ${(d.ms / g.ms).toFixed(2)}`);
  }
  const summary = tensorProductSummary(rows);
  log(`crossover: Gaunt faster from L = ${summary.crossoverL ?? 'none'}`);
  log(`log-log slope of time in L (L = ${summary.fitFrom}…${Lmax}): dense ${summary.denseSlope.toFixed(2)}, gaunt ${summary.gauntSlope.toFixed(2)}`);
  return rows;
};

/** Crossover L (first L from which the Gaunt product is faster at every larger measured L) and log-log slopes from L = 3. */
export const tensorProductSummary = (rows: readonly BenchRow[]) => {
  const Ls = (impl: string) => rows.filter((r) => r.impl === impl).map((r) => Number(/L=(\d+)/.exec(r.size)![1]));
  const ms = (impl: string) => rows.filter((r) => r.impl === impl).map((r) => r.ms);
  const L = Ls('js dense');
  const d = ms('js dense'), g = ms('js gaunt-fft');
  let crossoverL: number | null = null;
  for (let i = L.length - 1; i >= 0 && g[i]! < d[i]!; i--) crossoverL = L[i]!;
  // Small L is dominated by fixed per-call overheads, so the asymptotic slope is fitted from L = 3.
  const fitFrom = 3;
  const sel = L.map((l, i) => [l, i] as const).filter(([l]) => l >= fitFrom);
  return {
    crossoverL,
    fitFrom,
    denseSlope: logLogSlope(sel.map(([l]) => l), sel.map(([, i]) => d[i]!)),
    gauntSlope: logLogSlope(sel.map(([l]) => l), sel.map(([, i]) => g[i]!)),
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = process.argv.includes('--json');
  run({ json, quick: process.argv.includes('--quick') }).then((rows) => {
    if (json) console.log(JSON.stringify(rows));
  });
}
