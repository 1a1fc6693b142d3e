/**
 * `catoptric bench <spec>`: time the forward and backward pass of a spec's model on each backend.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../backend/backend';
import { lowerPlanned } from '../lower/program';
import { rng } from '../tensor/rng';
import { sizeOf } from '../tensor/shape';
import type { DType, HostTensor } from '../tensor/tensor';
import { initParams } from '../train/init';
import '../tasks';
import { prepareTask } from '../tasks/task';
import { formatIssues } from '../term/codec';
import { type CommandSpec, UserError, parseArgs } from './args';
import { BACKENDS, PROGRAM_BACKENDS, backendByName, disposeBackend, ortFor } from './backends';
import { si, table } from './format';
import { type Io, UserErrors, readSpec } from './io';
import { totals } from './summary';
import { uploadAll, withScope } from '../backend/transfer';

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: "Time a spec's forward and backward pass on each backend (median over repetitions).",
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    backend: { type: 'string', arg: 'LIST', doc: `comma-separated backends among ${PROGRAM_BACKENDS.join(', ')} (default ${BACKENDS.join(',')})` },
    threads: { type: 'int', arg: 'N', doc: 'threads: the wasm backend\'s worker pool, and ONNX Runtime intra-op threads for the ort backend (default 1)' },
    reps: { type: 'int', arg: 'N', doc: 'timed repetitions per backend (default 10)' },
    task: { type: 'string', arg: 'NAME', doc: "where inputs come from (default: the spec's task, else random normals)" },
    seed: { type: 'nat', arg: 'S', doc: 'seed of parameters and inputs (default 0)' },
    json: { type: 'bool', doc: 'print results as JSON' },
  },
  notes: 'Times include uploading inputs and parameters and downloading outputs and gradients (for ort: feeding and fetching host tensors).',
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface BenchRow {
  readonly backend: string;
  readonly forwardMs: number;
  readonly backwardMs: number;
  readonly gflops: number;
}

export const runBench = async (argv: readonly string[], io: Io): Promise<number> => {
  const a = parseArgs(argv, benchCommand);
  const file = a.pos[0]!;
  const { doc, model, planned } = readSpec(io, file);
  const names = ((a.opts.backend as string | undefined) ?? BACKENDS.join(',')).split(',').filter(Boolean);
  for (const n of names)
    if (!(PROGRAM_BACKENDS as readonly string[]).includes(n)) throw new UserError(`--backend: unknown backend ${JSON.stringify(n)}; expected one of ${PROGRAM_BACKENDS.join(', ')}`);
  const threads = a.opts.threads as number | undefined;
  if (threads !== undefined && !names.includes('ort') && !names.includes('wasm')) throw new UserError('--threads applies to the wasm and ort backends');
  if (threads !== undefined && threads < 1) throw new UserError(`--threads must be at least 1, got ${threads}`);
  const reps = (a.opts.reps as number | undefined) ?? 10;
  const seed = (a.opts.seed as number | undefined) ?? 0;
  const dtype: DType = 'float32';
  const tot = totals(planned);
  const elems = doc.inputs.reduce((s, x) => s + sizeOf(x), 0) + tot.params;
  if (elems > 2 ** 28) throw new UserError(`${file}: inputs and parameters hold ${si(elems)} elements; too large to benchmark here`);

  // Inputs: from the task (valid ids for embeddings, say), else standard normals.
  const taskName = (a.opts.task as string | undefined) ?? doc.task?.name;
  let inputs: HostTensor[];
  if (taskName && model.root.outputs.length === 1) {
    const ti = prepareTask(taskName, doc.task?.name === taskName ? doc.task.options : {}, { inputs: doc.inputs, output: model.root.outputs[0]!, seed, dtype });
    if (E.isLeft(ti)) throw new UserErrors(formatIssues(ti.left, file));
    inputs = [...ti.right.batch(0).inputs];
  } else {
    const r = rng(seed).fork('bench');
    inputs = doc.inputs.map((s) => {
      const data = new Float32Array(sizeOf(s));
      for (let i = 0; i < data.length; i++) data[i] = r.normal();
      return { shape: [...s], data };
    });
  }
  const hostParams = initParams(model, seed, dtype);
  const rows: BenchRow[] = [];
  const ones = model.root.outputs.map((s) => ({ shape: [...s], data: new Float32Array(sizeOf(s)).fill(1) }));
  for (const name of names) {
    if (name === 'ort') {
      const prog = await ortFor(model, planned.plan, dtype, threads, file);
      const once = async (): Promise<[number, number]> => {
        const t0 = io.now();
        const { residual } = await prog.forward(hostParams, inputs);
        const t1 = io.now();
        await prog.backward(residual, ones);
        return [t1 - t0, io.now() - t1];
      };
      try {
        await once();
      } catch (e) {
        throw new UserError(`${file}: running on ort failed: ${(e as Error).message}${taskName ? '' : ' (random inputs: pass --task to use valid ones)'}`);
      }
      const f: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < reps; i++) {
        const [x, y] = await once();
        f.push(x);
        b.push(y);
      }
      await prog.release();
      const fm = median(f);
      const bm = median(b);
      rows.push({ backend: `ort${threads && threads > 1 ? ` (${threads} threads)` : ''}`, forwardMs: fm, backwardMs: bm, gflops: (tot.fwdFlops + tot.bwdFlops) / ((fm + bm) * 1e6) });
      continue;
    }
    const be = await backendByName(name, dtype, name === 'wasm' ? threads : undefined);
    const lp = lowerPlanned(planned, be);
    if (E.isLeft(lp)) {
      io.err(`${name}: skipped: ${lp.left.message}\n`);
      continue;
    }
    const prog = lp.right;
    const once = (): [number, number] =>
      withScope(be, () => {
        const t0 = io.now();
        const params = uploadAll(be, hostParams);
        const { outputs, residual } = prog.forward(params, inputs.map((x) => be.upload(x)));
        outputs.forEach((o) => be.download(o));
        const t1 = io.now();
        const { dParams } = prog.backward(residual, ones.map((x) => be.upload(x)));
        Object.values(dParams).forEach((g) => be.download(g));
        return [t1 - t0, io.now() - t1];
      });
    try {
      once();
    } catch (e) {
      throw new UserError(`${file}: running on ${name} failed: ${(e as Error).message}${taskName ? '' : ' (random inputs: pass --task to use valid ones)'}`);
    }
    const f: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < reps; i++) {
      const [x, y] = once();
      f.push(x);
      b.push(y);
    }
    const fm = median(f);
    const bm = median(b);
    const pooled = name === 'wasm' && threads !== undefined && threads > 1;
    rows.push({ backend: pooled ? `wasm (${threads} threads)` : be.name, forwardMs: fm, backwardMs: bm, gflops: (tot.fwdFlops + tot.bwdFlops) / ((fm + bm) * 1e6) });
    await disposeBackend(be);
  }
  if (a.opts.json) {
    io.out(JSON.stringify({ file, name: doc.name, reps, fwdFlops: tot.fwdFlops, bwdFlops: tot.bwdFlops, rows }, null, 2) + '\n');
    return 0;
  }
  io.out(
    [
      `${file}: ${doc.name} — ${si(tot.fwdFlops)} forward, ${si(tot.bwdFlops)} backward flops; median of ${reps} runs, inputs ${taskName ? `from task ${taskName}` : 'random normals'}`,
      '',
      table([['backend', 'forward ms', 'backward ms', 'GFLOP/s'], ...rows.map((r) => [r.backend, r.forwardMs.toFixed(2), r.backwardMs.toFixed(2), r.gflops.toFixed(2)])], [1, 2, 3]),
    ].join('\n') + '\n',
  );
  return 0;
};
