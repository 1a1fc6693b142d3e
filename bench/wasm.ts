// wasm vs js vs tfjs-wasm, side by side in one process: matmul, the basic kernels' forward+backward,
// and the machine's WebAssembly SIMD128 peak (independent multiply–adds). Run by bench/main.ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, rng, randn, type Backend, type Term } from '../src/index';
import { matmul } from '../backends/js/index';
import { gemm, initWasm, type WasmBackend } from '../backends/wasm/index';

/** One measured row: GFLOP/s of `impl` on `op` at `size`, with ratios of the wasm row to the baselines. */
export interface BenchRow {
  op: string;
  size: string;
  impl: string;
  gflops: number;
  ratioVsTfjsWasm?: number;
  ratioVsJs?: number;
  /** Speed over the wasm backend's on the same op and size, measured side by side (ort rows). */
  ratioVsWasm?: number;
  /** What `gflops` and `ratioVsWasm` are measured in: wall-clock time (default) or CPU time. */
  basis?: 'wall' | 'cpu';
  /** Fraction of the measured WebAssembly SIMD128 peak (wasm rows). */
  fractionOfPeak?: number;
}

/** Seconds per call of `f`: best mean over `batches` batches, each long enough (≥ `minMs`). */
export const timeIt = (f: () => void, minMs = 250, batches = 5): number => {
  f();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    const dt = performance.now() - t0;
    if (dt >= minMs / batches || reps > 1e6) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best / 1000;
};

/**
 * tfjs-core's Node (CJS) bundle ships without gradient registrations, and its ESM gradient files
 * (extensionless imports) do not load under Node. For `tf.grads` we register the standard
 * gradients of the four ops the attention baseline uses, with the same formulas as tfjs's own
 * gradient files, so the backward pass runs on tfjs-wasm kernels op by op.
 */
const registerGradients = (tf: typeof import('@tensorflow/tfjs-core')): void => {
  type T = import('@tensorflow/tfjs-core').Tensor;
  if (!tf.getGradient('BatchMatMul'))
    tf.registerGradient({
      kernelName: 'BatchMatMul',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved as [T, T];
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        const d = dy as T;
        if (!transposeA && !transposeB) return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
        if (!transposeA && transposeB) return { a: () => tf.matMul(d, b, false, false), b: () => tf.matMul(d, a, true, false) };
        if (transposeA && !transposeB) return { a: () => tf.matMul(b, d, false, true), b: () => tf.matMul(a, d, false, false) };
        return { a: () => tf.matMul(b, d, true, true), b: () => tf.matMul(d, a, true, true) };
      },
    });
  if (!tf.getGradient('Softmax'))
    tf.registerGradient({
      kernelName: 'Softmax',
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [y] = saved as [T];
        const d = dy as T;
        return { logits: () => tf.mul(tf.sub(d, tf.sum(tf.mul(d, y), -1, true)), y) };
      },
    });
  if (!tf.getGradient('Multiply'))
    tf.registerGradient({
      kernelName: 'Multiply',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved as [T, T];
        const d = dy as T;
        const fit = (g: T, x: T) => (g.size === x.size ? g : tf.reshape(tf.sum(g), x.shape));
        return { a: () => fit(tf.mul(d, b), a), b: () => fit(tf.mul(d, a), b) };
      },
    });
  if (!tf.getGradient('Sum'))
    tf.registerGradient({
      kernelName: 'Sum',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [T];
        return { x: () => tf.mul(tf.onesLike(x), dy as T) };
      },
    });
};

/** tfjs-core with the tfjs-backend-wasm backend, single-threaded (SIMD on), or undefined if unavailable. */
export const loadTfjsWasm = async (): Promise<typeof import('@tensorflow/tfjs-core') | undefined> => {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    const wasmBe = await import('@tensorflow/tfjs-backend-wasm');
    const req = createRequire(import.meta.url);
    const dir = dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasmBe.setWasmPaths(join(dir, '/'));
    wasmBe.setThreadsCount(1);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerGradients(tf);
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  } catch (e) {
    console.error(`tfjs-wasm unavailable: ${(e as Error).message}`);
    return undefined;
  }
};

/** The shared wasm backend (initialised once). */
export const wasmBe = async (): Promise<WasmBackend> => initWasm();

/** GFLOP/s of the SIMD128 peak kernel: per iteration one f32x4 add and ten independent f32x4 multiply+add pairs (84 flops). */
export const measurePeak = (be: WasmBackend): number => {
  const iters = 1_000_000;
  let sink = 0;
  const s = timeIt(() => (sink += be.runtime.exports.cat_peak_kernel(iters, 0.5)), 300, 8);
  if (sink === 42) console.log('');
  return (iters * 84) / s / 1e9;
};

/** Fill in the ratios of each wasm row against the tfjs-wasm and js rows of the same op and size. */
export const withRatios = (rows: BenchRow[], peak?: number): BenchRow[] =>
  rows.map((r) => {
    if (r.impl !== 'wasm') return r;
    const tf = rows.find((o) => o.op === r.op && o.size === r.size && o.impl === 'tfjs-wasm');
    const js = rows.find((o) => o.op === r.op && o.size === r.size && o.impl === 'js');
    return {
      ...r,
      ...(tf ? { ratioVsTfjsWasm: r.gflops / tf.gflops } : {}),
      ...(js ? { ratioVsJs: r.gflops / js.gflops } : {}),
      ...(peak && r.fractionOfPeak === undefined ? { fractionOfPeak: r.gflops / peak } : {}),
    };
  });

/** Time forward+backward of a one-primitive program on a backend (allocations included, arena reset). */
export const fwdBwd = <T>(be: Backend<T>, term: Term, inputs: number[][], reset?: { mark(): number; resetTo(m: number): void }): number => {
  const model = checkOrThrow(term, inputs);
  const prog = lowerOrThrow(model, be);
  const params = Object.fromEntries(Object.entries(initParams(model, 1, 'float32')).map(([k, v]) => [k, be.upload(v)]));
  const xs = inputs.map((s, i) => be.upload(randn(s, rng(2).fork(`x${i}`))));
  const dys = model.root.outputs.map((s, i) => be.upload(randn(s, rng(3).fork(`dy${i}`))));
  return timeIt(() => {
    const m = reset?.mark();
    const { residual } = prog.forward(params, xs);
    prog.backward(residual, dys);
    if (reset && m !== undefined) reset.resetTo(m);
  });
};

/** Flops of forward+backward of a one-primitive term, from its cost interpretation. */
export const fwdBwdFlops = (term: Term, inputs: number[][]): number => {
  const root = checkOrThrow(term, inputs).root;
  if (root.kind !== 'prim') throw new Error('fwdBwdFlops: one primitive');
  return root.cost.fwdFlops + root.cost.bwdFlops;
};

export interface WasmBenchOptions {
  json?: boolean;
  /** Smaller sizes, for a quick look. */
  quick?: boolean;
}

/** The wasm-vs-js-vs-tfjs table for matmul and the basic kernels. */
export async function run(opts: WasmBenchOptions = {}): Promise<BenchRow[]> {
  const be = await wasmBe();
  const tf = await loadTfjsWasm();
  const log = (s: string) => (opts.json ? undefined : console.error(s));
  const rows: BenchRow[] = [];
  // On a shared machine the available CPU changes during a run, so the peak is measured before
  // each group of rows and each wasm row's fraction of peak uses the peak measured just before it;
  // the peak row shows the largest measurement.
  const peaks: number[] = [];
  let local = 0;
  let tagged = 0;
  const group = () => {
    for (; tagged < rows.length; tagged++) if (rows[tagged]!.impl === 'wasm' && local) rows[tagged]!.fractionOfPeak = rows[tagged]!.gflops / local;
    local = measurePeak(be);
    peaks.push(local);
  };
  group();
  log(`wasm SIMD128 peak: ${local.toFixed(1)} GFLOP/s`);

  // matmul
  const sizes = opts.quick ? [128, 256] : [128, 256, 512, 1024];
  for (const n of sizes) {
    group();
    const size = `${n}×${n}×${n}`;
    const flops = 2 * n * n * n;
    const a = randn([n, n], rng(1).fork('a'));
    const b = randn([n, n], rng(1).fork('b'));
    // wasm: output allocated and released per call, like a kernel does
    const rt = be.runtime;
    const wa = be.keep(be.upload(a));
    const wb = be.keep(be.upload(b));
    const sw = timeIt(() => {
      const c = rt.tensor([n, n]);
      gemm(rt, n, n, n, rt.ptr(wa), n, 1, rt.ptr(wb), n, 1, c.buf.ptr, n);
      rt.release(c);
    });
    rows.push({ op: 'matmul', size, impl: 'wasm', gflops: flops / sw / 1e9 });
    be.release(wa);
    be.release(wb);
    if (tf) {
      const ta = tf.tensor2d(Float32Array.from(a.data), [n, n]);
      const tb = tf.tensor2d(Float32Array.from(b.data), [n, n]);
      const st = timeIt(() => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      });
      ta.dispose();
      tb.dispose();
      rows.push({ op: 'matmul', size, impl: 'tfjs-wasm', gflops: flops / st / 1e9 });
    }
    if (n <= 512 || !opts.quick) {
      const ja = Float32Array.from(a.data);
      const jb = Float32Array.from(b.data);
      const sj = timeIt(() => matmul(ja, jb, new Float32Array(n * n), n, n, n), 100, 1);
      rows.push({ op: 'matmul', size, impl: 'js', gflops: flops / sj / 1e9 });
    }
    log(`matmul ${size} done`);
  }

  // basic kernels, forward+backward through a lowered one-primitive program
  const js = jsBackend('float32');
  const R = opts.quick ? 256 : 1024;
  const basics: [string, Term, number[][]][] = [
    ['linear fwd+bwd', prim('linear', { out: 512 }), [[R, 512]]],
    ['gelu fwd+bwd', prim('gelu'), [[R, 1024]]],
    ['silu fwd+bwd', prim('silu'), [[R, 1024]]],
    ['softmax fwd+bwd', prim('softmax'), [[R, 1024]]],
    ['layernorm fwd+bwd', prim('layernorm'), [[R, 1024]]],
    ['rmsnorm fwd+bwd', prim('rmsnorm'), [[R, 1024]]],
    ['softmax_xent fwd+bwd', prim('softmax_xent'), [[R, 1024], [R]]],
  ];
  for (const [op, term, inputs] of basics) {
    group();
    const size = inputs.map((s) => s.join('×')).join(', ');
    const flops = fwdBwdFlops(term, inputs);
    const labels = op.startsWith('softmax_xent');
    const fix = <T>(b: Backend<T>) => {
      if (!labels) return fwdBwd(b, term, inputs, 'mark' in b ? (b as unknown as WasmBackend) : undefined);
      // labels must be class ids
      const model = checkOrThrow(term, inputs);
      const prog = lowerOrThrow(model, b);
      const x = b.upload(randn(inputs[0]!, rng(2).fork('x')));
      const y = b.upload({ shape: inputs[1]!, data: Float64Array.from({ length: inputs[1]![0]! }, (_, i) => i % inputs[0]![1]!) });
      const one = b.upload({ shape: [], data: new Float64Array([1]) });
      const reset = 'mark' in b ? (b as unknown as WasmBackend) : undefined;
      return timeIt(() => {
        const m = reset?.mark();
        const { residual } = prog.forward({}, [x, y]);
        prog.backward(residual, [one]);
        if (reset && m !== undefined) reset.resetTo(m);
      });
    };
    const sw = be.scope(() => fix(be));
    rows.push({ op, size, impl: 'wasm', gflops: flops / sw / 1e9 });
    const sj = fix(js);
    rows.push({ op, size, impl: 'js', gflops: flops / sj / 1e9 });
    log(`${op} done`);
  }
  group();
  await runComponents(be, tf, opts, group, rows);
  group();
  const peak = Math.max(...peaks);
  rows.unshift({ op: 'simd128 peak (independent mul+add)', size: '-', impl: 'wasm', gflops: peak, fractionOfPeak: 1 });
  return withRatios(rows, peak);
}

/** Time `f` and give GFLOP/s for `flops`. */
const gf = (flops: number, f: () => void, minMs = 150, batches = 3): number => flops / timeIt(f, minMs, batches) / 1e9;

/**
 * Components on the wasm backend against js and tfjs-wasm: attention (one head, d = 64, self,
 * q/k/v projections, no output projection) forward and forward+backward at T ∈ {128, 512, 1024},
 * tfjs-wasm op by op (matMul, softmax) and `tf.grads` of the same; the delta rule (chunkwise WY
 * form, chunk 64, 'chunk-states') at T ∈ {1024, 4096}, d = 64 on wasm and js, and the wasm
 * recurrent form of the same node as `wasm-recurrent` (no tfjs op); the FFT kernels `mcb`
 * (d = 4096 radix-2, d = 16000 Bluestein) and `gaunt_tensor_product` (L = 4, 8) on wasm and js.
 * GFLOP/s use the cost interpretation's flops of the 'probs' variant (attention) and of the
 * chunkwise node (delta rule) for every implementation, so ratios are ratios of time.
 */
export async function runComponents(
  be: WasmBackend,
  tf: Awaited<ReturnType<typeof loadTfjsWasm>>,
  opts: WasmBenchOptions = {},
  /** Called before each group of rows (the caller re-measures the peak there). */
  group: () => void = () => undefined,
  /** Rows are appended here (and returned). */
  rows: BenchRow[] = [],
): Promise<BenchRow[]> {
  const log = (s: string) => (opts.json ? undefined : console.error(s));
  const js = jsBackend('float32');
  const d = 64;
  for (const T of opts.quick ? [128] : [128, 512, 1024]) {
    group();
    const size = `T=${T} d=${d}`;
    const attrs = { heads: 1, dk: d, dv: d, project: false };
    const model = checkOrThrow(prim('attention', attrs, { variant: 'probs' }), [[T, d]]);
    const root = model.root;
    if (root.kind !== 'prim') throw new Error('attention bench: one primitive');
    const fwdF = root.cost.fwdFlops;
    const allF = fwdF + root.cost.bwdFlops;
    const hostParams = initParams(model, 1, 'float32');
    const x = randn([T, d], rng(2).fork('x'));
    const dy = randn([T, d], rng(3).fork('dy'));
    const measure = <U>(b: Backend<U>, variant: string, reset?: WasmBackend, heavy = false) => {
      const prog = lowerOrThrow(model, b, { variants: { '': variant } });
      const params = Object.fromEntries(Object.entries(hostParams).map(([k, v]) => [k, b.upload(v)]));
      const xs = [b.upload(x)];
      const dys = [b.upload(dy)];
      const [minMs, batches] = heavy ? [50, 1] : [150, 3];
      const f = gf(fwdF, () => {
        const m = reset?.mark();
        prog.forward(params, xs);
        if (reset && m !== undefined) reset.resetTo(m);
      }, minMs, batches);
      const fb = gf(allF, () => {
        const m = reset?.mark();
        const { residual } = prog.forward(params, xs);
        prog.backward(residual, dys);
        if (reset && m !== undefined) reset.resetTo(m);
      }, minMs, batches);
      return [f, fb] as const;
    };
    let tfRows: [number, number] | undefined;
    for (const variant of ['probs', 'lse']) {
      const [f, fb] = be.scope(() => measure(be, variant, be));
      rows.push({ op: `attention fwd (${variant})`, size, impl: 'wasm', gflops: f });
      rows.push({ op: `attention fwd+bwd (${variant})`, size, impl: 'wasm', gflops: fb });
      const [jf, jfb] = measure(js, variant, undefined, T >= 512);
      rows.push({ op: `attention fwd (${variant})`, size, impl: 'js', gflops: jf });
      rows.push({ op: `attention fwd+bwd (${variant})`, size, impl: 'js', gflops: jfb });
      if (tf && !tfRows) {
        const t = (h: { data: ArrayLike<number> }, shape: [number, number]) => tf.tensor2d(Float32Array.from(h.data), shape);
        const tx = t(x, [T, d]);
        const tdy = t(dy, [T, d]);
        const [wq, wk, wv] = ['wq', 'wk', 'wv'].map((k) => t(hostParams[k]!, [d, d]));
        const scale = 1 / Math.sqrt(d);
        const attn = (xx: typeof tx, a: typeof tx, b: typeof tx, c: typeof tx) => {
          const q = tf.matMul(xx, a);
          const k = tf.matMul(xx, b);
          const v = tf.matMul(xx, c);
          const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale));
          return tf.matMul(p, v);
        };
        const tfF = gf(fwdF, () => {
          const o = tf.tidy(() => attn(tx, wq!, wk!, wv!));
          o.dataSync();
          o.dispose();
        });
        const g = tf.grads((...ts: import('@tensorflow/tfjs-core').Tensor[]) => tf.sum(tf.mul(attn(...(ts as [typeof tx, typeof tx, typeof tx, typeof tx])), tdy)));
        const tfFB = gf(allF, () => {
          const gs = tf.tidy(() => g([tx, wq!, wk!, wv!]));
          for (const gg of gs) gg.dataSync();
          tf.dispose(gs);
        });
        tf.dispose([tx, tdy, wq!, wk!, wv!]);
        tfRows = [tfF, tfFB];
      }
      // tfjs has one attention (it keeps P for its gradient); the same measurement is listed under both variants
      if (tfRows) {
        rows.push({ op: `attention fwd (${variant})`, size, impl: 'tfjs-wasm', gflops: tfRows[0] });
        rows.push({ op: `attention fwd+bwd (${variant})`, size, impl: 'tfjs-wasm', gflops: tfRows[1] });
      }
    }
    log(`attention ${size} done`);
  }
  for (const T of opts.quick ? [256] : [1024, 4096]) {
    group();
    const size = `T=${T} dk=dv=${d}`;
    const term = prim('delta_rule', { heads: 1, algorithm: 'chunkwise', chunk: 64 }, { variant: 'chunk-states' });
    const inputs = [[1, T, d], [1, T, d], [1, T, d], [1, T, 1], [1, 1, d, d]];
    const flops = fwdBwdFlops(term, inputs);
    const sw = be.scope(() => fwdBwd(be, term, inputs, be));
    rows.push({ op: 'delta_rule chunkwise fwd+bwd', size, impl: 'wasm', gflops: flops / sw / 1e9 });
    // the recurrent form on wasm, at the chunkwise node's flops (so the ratio is a ratio of time)
    const rec = prim('delta_rule', { heads: 1, algorithm: 'recurrent', chunk: 64 }, { variant: 'chunk-states' });
    const sr = be.scope(() => fwdBwd(be, rec, inputs, be));
    rows.push({ op: 'delta_rule chunkwise fwd+bwd', size, impl: 'wasm-recurrent', gflops: flops / sr / 1e9 });
    const model = checkOrThrow(term, inputs);
    const prog = lowerOrThrow(model, js);
    const xs = inputs.map((s, i) => js.upload(randn(s, rng(2).fork(`x${i}`))));
    const dys = model.root.outputs.map((s, i) => js.upload(randn(s, rng(3).fork(`dy${i}`))));
    const sj = timeIt(() => {
      const { residual } = prog.forward({}, xs);
      prog.backward(residual, dys);
    }, 50, 1);
    rows.push({ op: 'delta_rule chunkwise fwd+bwd', size, impl: 'js', gflops: flops / sj / 1e9 });
    log(`delta_rule ${size} done`);
  }
  // FFT kernels: compact bilinear pooling (radix-2 and Bluestein d) and the Gaunt tensor product
  const fft: [string, string, Term, number[][]][] = [
    ['mcb fwd+bwd', 'd=4096 rows=32 dx=dy=512', prim('mcb', { d: 4096, seed: 1 }), [[32, 512], [32, 512]]],
    ['mcb fwd+bwd', 'd=16000 rows=8 dx=dy=2048', prim('mcb', { d: 16000, seed: 1 }), [[8, 2048], [8, 2048]]],
    ['gaunt_tensor_product fwd+bwd', 'L=4 rows=64', prim('gaunt_tensor_product', { l1: 4, l2: 4, lout: 4 }), [[64, 25], [64, 25]]],
    ['gaunt_tensor_product fwd+bwd', 'L=8 rows=64', prim('gaunt_tensor_product', { l1: 8, l2: 8, lout: 8 }), [[64, 81], [64, 81]]],
  ];
  for (const [op, size, term, inputs] of opts.quick ? fft.slice(0, 1) : fft) {
    group();
    const flops = fwdBwdFlops(term, inputs);
    rows.push({ op, size, impl: 'wasm', gflops: flops / be.scope(() => fwdBwd(be, term, inputs, be)) / 1e9 });
    rows.push({ op, size, impl: 'js', gflops: flops / fwdBwd(js, term, inputs) / 1e9 });
    log(`${op} ${size} done`);
  }
  return rows;
}
