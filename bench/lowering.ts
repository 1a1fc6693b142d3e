// The price of the optic structure: a 4-layer MLP (width 256, batch 64) forward + backward on wasm, run
// through `lower` (kernel optics composed by the core's combinators) against the same kernels called in a
// hand-written loop. Measured round-robin in one process, in CPU time; the ratio is the median over rounds.
import { checkOrThrow, initParams, lowerOrThrow, prim, randn, rng, seq, type Params, type TypedPrim } from '../src/index';
import { initWasm } from '../backends/wasm/index';
import { timeIt } from './wasm';
import type { BenchRow } from './row';

export const run = async (opts: { quick?: boolean }): Promise<(BenchRow & { ratioVsHandWritten?: number; spread?: [number, number] })[]> => {
  const be = await initWasm();
  const width = 256;
  const batch = 64;
  const layers = 4;
  const term = seq(...Array.from({ length: layers }, (_, i) => (i < layers - 1 ? [prim('linear', { out: width }), prim('gelu')] : [prim('linear', { out: width })])).flat());
  const model = checkOrThrow(term, [[batch, width]]);
  const root = model.root;
  if (root.kind !== 'seq') throw new Error('mlp bench: expected a seq');
  const nodes = root.children as TypedPrim[];
  const flops = nodes.reduce((s, n) => s + n.cost.fwdFlops + n.cost.bwdFlops, 0);
  return be.scope(() => {
    const host = initParams(model, 1, 'float32');
    const params = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, be.keep(be.upload(v))]));
    const x = [be.keep(be.upload(randn([batch, width], rng(2).fork('x'))))];
    const dy = [be.keep(be.upload(randn([batch, width], rng(3).fork('dy'))))];
    const prog = lowerOrThrow(model, be);
    const lowered = () => {
      const m = be.mark();
      const { residual } = prog.forward(params, x);
      prog.backward(residual, dy);
      be.resetTo(m);
    };
    // The same kernels, called by hand: parameters picked by local name once, residuals in an array.
    const kernels = nodes.map((n) => be.kernel(n.def.name)!);
    const local: Params<(typeof x)[number]>[] = nodes.map((n) => Object.fromEntries(Object.keys(n.params).map((l) => [l, params[[...n.path, l].join('.')]!])));
    const hand = () => {
      const m = be.mark();
      let w = x;
      const res = [];
      for (let i = 0; i < nodes.length; i++) {
        const r = kernels[i]!.forward(nodes[i]!, local[i]!, w);
        res.push(r.residual);
        w = r.outputs;
      }
      let g = dy;
      for (let i = nodes.length - 1; i >= 0; i--) g = kernels[i]!.backward(nodes[i]!, local[i]!, res[i]!, g).dInputs as typeof g;
      be.resetTo(m);
    };
    // CPU time, round-robin: on a shared machine wall-clock best-of swings with the load; the CPU time
    // this thread spends does much less.
    const cpu = (f: () => void, reps: number): number => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) f();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6 / reps;
    };
    timeIt(lowered, 50, 1);
    timeIt(hand, 50, 1);
    const rounds = opts.quick ? 3 : 11;
    const reps = opts.quick ? 5 : 20;
    const tl: number[] = [];
    const th: number[] = [];
    for (let r = 0; r < rounds; r++) {
      tl.push(cpu(lowered, reps));
      th.push(cpu(hand, reps));
    }
    const ratios = tl.map((t, i) => th[i]! / t).sort((a, b) => a - b);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const size = `${layers}×${width}, batch ${batch}`;
    const op = 'mlp fwd+bwd (lowered vs hand-written)';
    return [
      { op, size, impl: 'wasm lowered', ms: median(tl) * 1e3, gflops: flops / median(tl) / 1e9, ratioVsHandWritten: median(ratios), spread: [ratios[0]!, ratios[ratios.length - 1]!] },
      { op, size, impl: 'wasm hand-written', ms: median(th) * 1e3, gflops: flops / median(th) / 1e9 },
    ];
  });
};

// `tsx bench/lowering.ts` runs this group alone.
if (import.meta.url === `file://${process.argv[1]}`) run({}).then((rows) => console.log(JSON.stringify(rows, null, 1)));
