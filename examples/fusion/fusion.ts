/**
 * Two-modality fusion on synthetic data: concatenation + MLP against each bilinear pooling
 * operator, at matched parameter counts, on a task whose label is a multiplicative interaction of
 * the two inputs and on one whose label is additive.
 */
import { blockFusion, fullBilinear, mcbPool, mfb, mfh, mlb, mutan } from '../../src/prims/pooling';
import {
  type Backend, type HostTensor, type Term, type TypedNode, adam, checkOrThrow, id, initParams, jsBackend, withScope, lowerOrThrow, named, par, prim, rng, seq, train,
} from '../../src/index';
import { argmaxAccuracy } from '../../src/train/metrics';

/** One row of the comparison. */
export interface FusionRow {
  readonly task: 'multiplicative' | 'additive';
  readonly model: string;
  readonly params: number;
  /** Forward flops per example, from the primitives' cost model. */
  readonly flops: number;
  readonly trainLoss: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

export interface FusionOptions {
  readonly seed?: number;
  /** Where to train (default: the JS backend in float32). */
  readonly backend?: Backend<unknown>;
  readonly steps?: number;
  readonly dx?: number;
  readonly dy?: number;
  readonly classes?: number;
  /** Parameter budget each model is matched to. */
  readonly budget?: number;
  readonly onRow?: (r: FusionRow) => void;
}

/** A fusion model family with one width knob, so its parameter count can be matched to a budget. */
interface Family {
  readonly name: string;
  /** The fusion term (x, y → features) for a knob value, or null if the value is not allowed. */
  make(knob: number): Term | null;
}

const C_DEFAULT = 4;
const lin = (out: number, bias = true) => prim('linear', { out, bias });

const families = (seed: number): Family[] => [
  { name: 'concat + MLP', make: (h) => seq(prim('concat_last', { n: 2 }), lin(h), prim('relu')) },
  // Full bilinear has no knob: its width is dx·dy.
  { name: 'full bilinear', make: (k) => (k === 1 ? fullBilinear({ normalise: true }) : null) },
  { name: 'full bilinear (no norm)', make: (k) => (k === 1 ? fullBilinear() : null) },
  { name: 'MCB', make: (d) => (d >= 8 ? mcbPool({ d, seed: seed + 17, normalise: true }) : null) },
  { name: 'MCB (no norm)', make: (d) => (d >= 8 ? mcbPool({ d, seed: seed + 17 }) : null) },
  { name: 'MLB', make: (r) => mlb({ rank: r, out: 16 }) },
  { name: 'MFB (k=5)', make: (o) => mfb({ k: 5, out: o, normalise: true }) },
  { name: 'MFH (k=5)', make: (o) => mfh({ k: 5, out: o, normalise: true }) },
  { name: 'MUTAN (R=3)', make: (t) => mutan({ tx: t, ty: t, to: t, rank: 3, out: 16 }) },
  { name: 'BLOCK (4 blocks)', make: (t) => (t % 4 === 0 ? blockFusion({ tx: t, ty: t, to: t, blocks: 4, out: 16 }) : null) },
];

const paramCount = (n: TypedNode): number =>
  n.kind === 'prim' ? n.cost.paramElems : n.children.reduce((s, c) => s + paramCount(c), 0);
const fwdFlops = (n: TypedNode): number => (n.kind === 'prim' ? n.cost.fwdFlops : n.children.reduce((s, c) => s + fwdFlops(c), 0));

/** The classifier network: fusion then a linear layer to the classes. */
const network = (fusion: Term, classes: number): Term => named('net', seq(fusion, named('cls', lin(classes))));

/** Pick the knob whose network's parameter count is closest to the budget. */
const matched = (f: Family, dx: number, dy: number, classes: number, budget: number) => {
  let best: { term: Term; params: number } | null = null;
  for (let k = 1; k <= 4096; k++) {
    const fusion = f.make(k);
    if (!fusion) continue;
    const term = network(fusion, classes);
    const params = paramCount(checkOrThrow(term, [[1, dx], [1, dy]]).root);
    if (!best || Math.abs(params - budget) < Math.abs(best.params - budget)) best = { term, params };
    if (params > 2 * budget) break;
  }
  if (!best) throw new Error(`fusion: no admissible width for ${f.name}`);
  return best;
};

/** Synthetic data: Gaussian x, y and a label from a hidden rule. */
const makeTask = (task: FusionRow['task'], n: number, dx: number, dy: number, classes: number, seed: number) => {
  const r = rng(seed).fork(task);
  const rule = rng(seed).fork(`${task}:rule`);
  // Multiplicative: class c scores xᵀ A_c y with A_c = Σ_{q<2} a_q b_qᵀ (rank 2): no function of x
  // alone or y alone carries any information about the label.
  // Additive: class c scores a_cᵀx + b_cᵀy, linear in the concatenation.
  const A = Array.from({ length: classes * 2 }, () => ({
    a: Float64Array.from({ length: dx }, () => rule.normal()),
    b: Float64Array.from({ length: dy }, () => rule.normal()),
  }));
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dx; j++) x[i * dx + j] = r.normal();
    for (let j = 0; j < dy; j++) y[i * dy + j] = r.normal();
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let q = 0; q < 2; q++) {
        const { a, b } = A[c * 2 + q]!;
        let ax = 0;
        let by = 0;
        for (let j = 0; j < dx; j++) ax += a[j]! * x[i * dx + j]!;
        for (let j = 0; j < dy; j++) by += b[j]! * y[i * dy + j]!;
        s += task === 'multiplicative' ? ax * by : q === 0 ? ax + by : 0;
      }
      if (s > best) {
        best = s;
        labels[i] = c;
      }
    }
  }
  return { x, y, labels };
};

const rowsOf = (a: Float64Array, w: number, from: number, count: number): HostTensor => ({
  shape: [count, w],
  data: Float32Array.from(a.subarray(from * w, (from + count) * w)),
});

/** Run the whole comparison from one seed; every number comes from this run. */
export const runFusion = (o: FusionOptions = {}): FusionRow[] => {
  const seed = o.seed ?? 0;
  const steps = o.steps ?? 400;
  const dx = o.dx ?? 16;
  const dy = o.dy ?? 16;
  const classes = o.classes ?? C_DEFAULT;
  const budget = o.budget ?? dx * dy * classes + classes;
  const nTrain = 4000;
  const nTest = 2000;
  const batch = 100;
  const be = o.backend ?? (jsBackend('float32') as Backend<unknown>);
  const rows: FusionRow[] = [];
  for (const task of ['multiplicative', 'additive'] as const) {
    const data = makeTask(task, nTrain + nTest, dx, dy, classes, seed);
    for (const fam of families(seed)) {
      const t0 = Date.now();
      const { term, params } = matched(fam, dx, dy, classes, budget);
      const lossTerm = seq(par(term, id(1)), prim('softmax_xent'));
      const lossModel = checkOrThrow(lossTerm, [[batch, dx], [batch, dy], [batch]]);
      const prog = lowerOrThrow(lossModel, be);
      const init = initParams(lossModel, seed, 'float32');
      const res = train({
        program: prog,
        backend: be,
        optimizer: adam({ lr: 3e-3 }),
        params: init,
        steps,
        batch: (i) => {
          const from = (i * batch) % nTrain;
          return [
            rowsOf(data.x, dx, from, batch),
            rowsOf(data.y, dy, from, batch),
            { shape: [batch], data: Float32Array.from(data.labels.subarray(from, from + batch)) },
          ];
        },
      });
      // Evaluate the trained network alone: the loss model holds it as child `net` of its par box
      // (path `0.net`), while as a root its paths start at its children.
      const evalModel = checkOrThrow(term, [[nTest, dx], [nTest, dy]]);
      const evalProg = lowerOrThrow(evalModel, be);
      const evaluate = () => {
        const ps: Record<string, unknown> = {};
        for (const k of evalModel.params.keys()) ps[k] = be.upload(res.params[`0.net.${k}`]!);
        const inputs = [rowsOf(data.x, dx, nTrain, nTest), rowsOf(data.y, dy, nTrain, nTest)].map((x) => be.upload(x));
        return be.download(evalProg.forward(ps, inputs).outputs[0]!);
      };
      const logits = withScope(be, evaluate);
      const testAccuracy = argmaxAccuracy(logits, { shape: [nTest], data: data.labels.subarray(nTrain, nTrain + nTest) });
      const tail = res.losses.slice(-20);
      const row: FusionRow = {
        task,
        model: fam.name,
        params,
        flops: fwdFlops(checkOrThrow(term, [[1, dx], [1, dy]]).root),
        trainLoss: tail.reduce((s, l) => s + l, 0) / tail.length,
        testAccuracy,
        seconds: (Date.now() - t0) / 1000,
      };
      rows.push(row);
      o.onRow?.(row);
    }
  }
  return rows;
};
