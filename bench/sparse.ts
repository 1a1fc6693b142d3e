/**
 * Sparse × sparse (C = A·A) by the three SMASH dataflows — inner product, outer product, row-wise
 * with a hash scratchpad — on the JS and WebAssembly kernels, against mathjs's sparse multiply and
 * scipy.sparse (a `python3` subprocess, skipped with a note when scipy is missing), on seeded
 * Erdős–Rényi, R-MAT (power-law) and 2-D Poisson matrices; then dense wasm gemm against the
 * row-wise hash kernel on Erdős–Rényi matrices of rising density, for the crossover.
 *
 *   npx tsx bench/sparse.ts [--json] [--quick]        (or npm run bench -- --only=sparse)
 *
 * Times are CPU time of this process (user + system, robust on a shared machine), the median of
 * interleaved rounds (every implementation once per round, in one process); scipy's are its own
 * process's CPU time, measured the same way inside it. `intermediateBytes` is the kernel's counted
 * peak of intermediates (JS and wasm); `gflops` counts the 2 flops of each partial product.
 * Inner product visits every output position, so it runs only up to 4096 rows; outer product is
 * skipped where its partial products would pass 256 MiB. Large matrices (over 16384 rows) get 3 rounds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as math from 'mathjs';
import { type Csr, type Dataflow, dataflows, emptyCounters, erdosRenyi, nnzOf, packCsr, poisson2d, rmat, spgemm, transpose } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import { wasmSpgemm } from '../backends/wasm/kernels/sparse';
import { gemm } from '../backends/wasm/kernels/basic';

export interface SparseBenchRow {
  op: string;
  /** `matrix n=… dataflow` (for the shared table). */
  size: string;
  matrix: string;
  n: number;
  nnz: number;
  impl: string;
  dataflow: string;
  ms: number;
  gflops: number;
  basis: 'cpu';
  intermediateBytes: number | null;
  ratioVsInner: number | null;
  ratioVsMathjs: number | null;
  density?: number;
  note?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

interface Contender {
  readonly impl: string;
  readonly dataflow: string;
  readonly run: () => void;
  readonly intermediateBytes: number | null;
  readonly products: number;
}

/** Median CPU ms of each contender over `rounds` interleaved rounds (after one warm-up each). */
const interleaved = (cs: readonly Contender[], rounds: number): number[] => {
  cs.forEach((c) => c.run());
  const ts = cs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) cs.forEach((c, i) => ts[i]!.push(cpuMs(c.run)));
  return ts.map(median);
};

/** mathjs's SparseMatrix is CSC: A's CSC arrays are those of Aᵀ in CSR. */
const toMathjs = (a: Csr) => {
  const t = transpose(a);
  // The constructor from CSC arrays is public at run time but missing from mathjs's typings.
  const { SparseMatrix } = math as unknown as { SparseMatrix: new (data: object) => math.Matrix };
  return new SparseMatrix({ values: Array.from(t.values), index: Array.from(t.colIdx), ptr: Array.from(t.rowPtr), size: [a.rows, a.cols], datatype: 'number' });
};

const SCIPY = `
import sys, json, time, numpy as np
from scipy.sparse import csr_matrix
d, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ptr = np.fromfile(d + '/ptr', dtype=np.int32); idx = np.fromfile(d + '/idx', dtype=np.int32); val = np.fromfile(d + '/val', dtype=np.float32)
a = csr_matrix((val, idx, ptr), shape=(n, n))
c = a @ a
ts = []
for _ in range(rounds):
    t0 = time.process_time(); c = a @ a; ts.append((time.process_time() - t0) * 1000)
print(json.dumps({"ms": sorted(ts)[len(ts) // 2], "nnz": int(c.nnz)}))
`;

const scipyAvailable = (): boolean => spawnSync('python3', ['-c', 'import scipy.sparse'], { encoding: 'utf8' }).status === 0;

const scipyTime = (a: Csr, rounds: number): { ms: number; nnz: number } | string => {
  const dir = mkdtempSync(join(tmpdir(), 'catoptric-scipy-'));
  try {
    writeFileSync(join(dir, 'ptr'), Buffer.from(a.rowPtr.buffer));
    writeFileSync(join(dir, 'idx'), Buffer.from(a.colIdx.buffer));
    writeFileSync(join(dir, 'val'), Buffer.from(Float32Array.from(a.values).buffer));
    const r = spawnSync('python3', ['-c', SCIPY, dir, String(a.rows), String(rounds)], { encoding: 'utf8' });
    if (r.status !== 0) return `scipy failed: ${r.stderr.trim().split('\n').at(-1)}`;
    return JSON.parse(r.stdout) as { ms: number; nnz: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Partial products of A·A: Σ_k (entries in column k) · (entries in row k). */
const products = (a: Csr): number => {
  const t = transpose(a);
  let s = 0;
  for (let k = 0; k < a.cols; k++) s += (t.rowPtr[k + 1]! - t.rowPtr[k]!) * (a.rowPtr[k + 1]! - a.rowPtr[k]!);
  return s;
};

interface Case {
  readonly matrix: string;
  readonly a: Csr;
}

const cases = (quick: boolean): Case[] => {
  const er = (n: number): Case => ({ matrix: 'erdos-renyi', a: erdosRenyi(n, n, 8 / n, 1) });
  const rm = (s: number): Case => ({ matrix: 'rmat', a: rmat(s, 8, 1) });
  const po = (side: number): Case => ({ matrix: 'poisson2d', a: poisson2d(side) });
  return quick
    ? [er(1024), rm(10), po(32), er(4096), rm(12), po(64)]
    : [er(1024), rm(10), po(32), er(4096), rm(12), po(64), er(65536), rm(14), po(256), po(1000)];
};

const spgemmRows = (be: WasmBackend, c: Case, rounds: number, withScipy: boolean): SparseBenchRow[] => {
  const { a, matrix } = c;
  const n = a.rows;
  const nnz = nnzOf(a);
  const prods = products(a);
  const a32 = { ...a, values: Float32Array.from(a.values) };
  const rt = be.runtime;
  const contenders: Contender[] = [];
  const base = { op: 'spgemm', matrix, n, nnz, basis: 'cpu' as const, ratioVsInner: null, ratioVsMathjs: null };
  for (const d of dataflows) {
    const tooBig = (d === 'inner' && n > 4096) || (d === 'outer' && prods * 16 > 256 * 2 ** 20);
    if (tooBig) {
      console.error(`sparse: ${matrix} n=${n}: ${d} skipped (${d === 'inner' ? 'it visits all n² output positions' : 'its partial products would pass 256 MiB'})`);
      continue;
    }
    const cj = emptyCounters();
    spgemm(a32, a32, d, cj);
    contenders.push({ impl: 'js', dataflow: d, run: () => void spgemm(a32, a32, d), intermediateBytes: cj.peakIntermediateBytes, products: prods });
    const A = be.upload(packCsr(a32, nnz, 'float32'));
    be.keep(A);
    const bound = Math.min(n * n, prods);
    const probe = be.scope(() => wasmSpgemm(rt, A, A, d as Dataflow, bound).counters);
    contenders.push({ impl: 'wasm', dataflow: d, run: () => be.scope(() => void wasmSpgemm(rt, A, A, d as Dataflow, bound)), intermediateBytes: probe.peakIntermediateBytes, products: prods });
  }
  const mathjsOk = n <= 16384;
  if (mathjsOk) {
    const M = toMathjs(a32);
    contenders.push({ impl: 'mathjs', dataflow: 'mathjs', run: () => void math.multiply(M, M), intermediateBytes: null, products: prods });
  }
  const ms = interleaved(contenders, rounds);
  const rows: SparseBenchRow[] = contenders.map((c, i) => ({
    ...base,
    size: `${matrix} n=${n} ${c.dataflow}`,
    impl: c.impl,
    dataflow: c.dataflow,
    ms: Math.round(ms[i]! * 100) / 100,
    gflops: (2 * c.products) / (ms[i]! * 1e6),
    intermediateBytes: c.intermediateBytes,
  }));
  if (!mathjsOk) console.error(`sparse: ${matrix} n=${n}: mathjs skipped (over 16384 rows)`);
  if (withScipy) {
    const s = scipyTime(a32, rounds);
    if (typeof s === 'string') console.error(`sparse: ${matrix} n=${n}: ${s}`);
    else rows.push({ ...base, size: `${matrix} n=${n} scipy`, impl: 'scipy', dataflow: 'scipy', ms: Math.round(s.ms * 100) / 100, gflops: (2 * prods) / (s.ms * 1e6), intermediateBytes: null, note: `own process CPU time; C has ${s.nnz} nonzeros` });
  }
  // Ratios: speed-up over the same implementation's inner product, and over mathjs.
  const mj = rows.find((r) => r.impl === 'mathjs' && Number.isFinite(r.ms));
  return rows.map((r) => {
    const inner = rows.find((o) => o.impl === r.impl && o.dataflow === 'inner' && Number.isFinite(o.ms));
    return {
      ...r,
      ratioVsInner: inner && Number.isFinite(r.ms) ? inner.ms / r.ms : null,
      ratioVsMathjs: mj && Number.isFinite(r.ms) ? mj.ms / r.ms : null,
    };
  });
};

/** Row-wise hash (wasm) against dense wasm gemm on n × n Erdős–Rényi matrices of rising density. */
const crossoverRows = (be: WasmBackend, n: number, densities: readonly number[], rounds: number): SparseBenchRow[] => {
  const rt = be.runtime;
  const out: SparseBenchRow[] = [];
  for (const density of densities) {
    const a = erdosRenyi(n, n, density, 7);
    const a32 = { ...a, values: Float32Array.from(a.values) };
    const nnz = nnzOf(a);
    const prods = products(a);
    const A = be.keep(be.upload(packCsr(a32, nnz, 'float32')));
    const D = be.keep(rt.tensor([n, n], true));
    {
      const v = rt.f32(D);
      for (let i = 0; i < n; i++) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) v[i * n + a.colIdx[p]!] = a32.values[p]!;
    }
    const C = be.keep(rt.tensor([n, n]));
    const bound = Math.min(n * n, prods);
    const [hash, dense] = interleaved(
      [
        { impl: 'wasm', dataflow: 'rowwise-hash', run: () => be.scope(() => void wasmSpgemm(rt, A, A, 'rowwise-hash', bound)), intermediateBytes: null, products: prods },
        { impl: 'wasm-dense-gemm', dataflow: 'dense', run: () => gemm(rt, n, n, n, rt.ptr(D), n, 1, rt.ptr(D), n, 1, rt.ptr(C), n), intermediateBytes: null, products: n ** 3 },
      ],
      rounds,
    );
    const base = { op: 'spgemm-vs-dense', matrix: `erdos-renyi density=${density}`, n, nnz, basis: 'cpu' as const, intermediateBytes: null, ratioVsInner: null, ratioVsMathjs: null, density };
    out.push(
      { ...base, size: `n=${n} density=${density} rowwise-hash`, impl: 'wasm', dataflow: 'rowwise-hash', ms: Math.round(hash! * 100) / 100, gflops: (2 * prods) / (hash! * 1e6) },
      { ...base, size: `n=${n} density=${density} dense`, impl: 'wasm-dense-gemm', dataflow: 'dense', ms: Math.round(dense! * 100) / 100, gflops: (2 * n ** 3) / (dense! * 1e6), note: `sparse/dense time ${(hash! / dense!).toFixed(2)}` },
    );
    for (const t of [A, D, C]) be.release(t);
  }
  return out;
};

export async function run(opts: { json?: boolean; quick?: boolean } = {}): Promise<SparseBenchRow[]> {
  const log = (s: string) => console.error(s);
  const be = await initWasm();
  const withScipy = scipyAvailable();
  if (!withScipy) log('sparse: python3 with scipy not found, scipy rows skipped (apt-get install python3-scipy)');
  const rounds = opts.quick ? 3 : 5;
  const rows: SparseBenchRow[] = [];
  for (const c of cases(!!opts.quick)) {
    log(`sparse: ${c.matrix} n=${c.a.rows} nnz=${nnzOf(c.a)} …`);
    // Fewer rounds for the large matrices: the machine is shared and the medians are stable.
    rows.push(...spgemmRows(be, c, c.a.rows > 16384 ? 3 : rounds, withScipy));
  }
  const n = opts.quick ? 512 : 1024;
  log(`sparse: crossover against dense gemm, n=${n} …`);
  rows.push(...crossoverRows(be, n, opts.quick ? [0.005, 0.02, 0.05, 0.1, 0.2] : [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2], rounds));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = process.argv.includes('--json');
  run({ json, quick: process.argv.includes('--quick') }).then((rows) => {
    if (json) console.log(JSON.stringify(rows));
    else
      for (const r of rows)
        console.log(
          [r.op, r.size, r.impl, `${r.ms} ms`, r.intermediateBytes ?? '', r.ratioVsInner?.toFixed(2) ?? '', r.ratioVsMathjs?.toFixed(2) ?? '', r.note ?? ''].join('\t'),
        );
  });
}
