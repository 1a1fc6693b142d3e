/**
 * Node classification on a seeded stochastic-block-model graph with a 2-layer GCN whose adjacency
 * travels on a sparse (CSR) wire: the 1-hop model propagates with Â only, the 2-hop model with Â
 * and Â², where Â² is computed inside the model by `spgemm` (row-wise hash) from the same wire.
 */
import {
  type Backend,
  type Csr,
  type HostTensor,
  type Term,
  adam,
  checkOrThrow,
  csrShape,
  fromCoo,
  initParams,
  lowerOrThrow,
  nnzOf,
  packCsr,
  par,
  permute,
  prim,
  rng,
  seq,
  simulate,
  spgemm,
  spgemmBound,
  copy,
  id,
} from '../../src/index';

/** A seeded SBM graph with noisy features that weakly encode the class. */
export interface Graph {
  readonly n: number;
  readonly classes: number;
  readonly labels: Int32Array;
  /** Â = D^{-1/2}(A + I)D^{-1/2}. */
  readonly adj: Csr;
  readonly features: HostTensor;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

export interface SbmOptions {
  readonly n: number;
  readonly classes: number;
  /** Expected neighbours in the node's own block and in each other block. */
  readonly degreeIn: number;
  readonly degreeOut: number;
  readonly dim: number;
  /** Feature signal-to-noise: class mean scale over unit noise. */
  readonly signal: number;
  /** Labelled nodes per class. */
  readonly labelled: number;
  readonly seed: number;
}

export const sbm = (o: SbmOptions): Graph => {
  const r = rng(o.seed).fork('sbm');
  const labels = Int32Array.from({ length: o.n }, (_, i) => i % o.classes);
  const size = o.n / o.classes;
  const pIn = o.degreeIn / size, pOut = o.degreeOut / size;
  const is: number[] = [], js: number[] = [], vs: number[] = [];
  for (let i = 0; i < o.n; i++) {
    is.push(i), js.push(i), vs.push(1); // self loop (A + I)
    for (let j = i + 1; j < o.n; j++)
      if (r.uniform() < (labels[i] === labels[j] ? pIn : pOut)) is.push(i, j), js.push(j, i), vs.push(1, 1);
  }
  const a = fromCoo(o.n, o.n, is, js, vs);
  const deg = Float64Array.from({ length: o.n }, (_, i) => a.rowPtr[i + 1]! - a.rowPtr[i]!);
  const values = Float64Array.from(a.values);
  for (let i = 0; i < o.n; i++) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) values[p] = 1 / Math.sqrt(deg[i]! * deg[a.colIdx[p]!]!);
  const fr = rng(o.seed).fork('features');
  const means = Array.from({ length: o.classes }, () => Array.from({ length: o.dim }, () => fr.normal()));
  const x = new Float32Array(o.n * o.dim);
  for (let i = 0; i < o.n; i++) for (let k = 0; k < o.dim; k++) x[i * o.dim + k] = o.signal * means[labels[i]!]![k]! + fr.normal();
  const lr = rng(o.seed).fork('split');
  const order = Array.from({ length: o.n }, (_, i) => i).sort(() => lr.uniform() - 0.5);
  const train: number[] = [];
  const perClass = new Array(o.classes).fill(0);
  for (const i of order) if (perClass[labels[i]!]! < o.labelled) (train.push(i), perClass[labels[i]!]++);
  const inTrain = new Set(train);
  return { n: o.n, classes: o.classes, labels, adj: { ...a, values }, features: { shape: [o.n, o.dim], data: x }, train, test: order.filter((i) => !inTrain.has(i)) };
};

/** 2-layer GCN with Â only: logits = Â·relu(Â·X·W1 + b1)·W2 + b2 (as spmm, then linear). */
export const oneHop = (hidden: number, classes: number): Term =>
  seq(
    par(copy(2), id(1)), // [Â, Â, X]
    permute([0, 2, 1]), // [Â, X, Â]
    par(prim('spmm'), id(1)), // [ÂX, Â]
    par(prim('linear', { out: hidden }, { name: 'l1' }), id(1)),
    par(prim('relu'), id(1)),
    permute([1, 0]), // [Â, H]
    prim('spmm'),
    prim('linear', { out: classes }, { name: 'l2' }),
  );

/**
 * 2-layer GCN with Â and Â²: each layer mixes [Â·H, Â²·H] (concatenated) through one linear map;
 * Â² = spgemm(Â, Â) inside the model, with a declared bound `nnz2` on its nonzeros.
 */
export const twoHop = (hidden: number, classes: number, nnz2?: number): Term =>
  seq(
    par(copy(3), id(1)), // [Â, Â, Â, X]
    par(id(1), prim('spgemm', nnz2 === undefined ? {} : { nnz: nnz2 }, { name: 'square' }), id(1)), // [Â, Â², X]
    par(copy(2), copy(2), copy(2)), // [Â, Â, Â², Â², X, X]
    permute([0, 4, 2, 5, 1, 3]), // [Â, X, Â², X, Â, Â²]
    par(prim('spmm'), prim('spmm'), id(2)), // [ÂX, Â²X, Â, Â²]
    par(prim('concat_last'), id(2)),
    par(prim('linear', { out: hidden }, { name: 'l1' }), id(2)),
    par(prim('relu'), id(2)), // [H, Â, Â²]
    par(copy(2), id(2)), // [H, H, Â, Â²]
    permute([2, 0, 3, 1]), // [Â, H, Â², H]
    par(prim('spmm'), prim('spmm')),
    prim('concat_last'),
    prim('linear', { out: classes }, { name: 'l2' }),
  );

export interface GcnResult {
  readonly model: '1-hop' | '2-hop';
  readonly seed: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly finalLoss: number;
  /** Predicted peak bytes of one forward + backward (float32, store-all plan). */
  readonly plannedPeakBytes: number;
}

/** Train one GCN on `g` with Adam on the labelled nodes; accuracy on the rest. */
export const trainGcn = <T>(be: Backend<T>, g: Graph, which: '1-hop' | '2-hop', o: { hidden: number; steps: number; lr: number; seed: number; nnz2?: number }): GcnResult => {
  const dim = g.features.shape[1]!;
  const adjType = csrShape(g.n, g.n, nnzOf(g.adj));
  const term = which === '1-hop' ? oneHop(o.hidden, g.classes) : twoHop(o.hidden, g.classes, o.nnz2);
  const model = checkOrThrow(term, [adjType, [g.n, dim]]);
  const prog = lowerOrThrow(model, be);
  const opt = adam({ lr: o.lr, weightDecay: 5e-4 });
  let params: Record<string, HostTensor> = { ...initParams(model, o.seed, 'float32') };
  let state = opt.init(params);
  const inputs = [be.upload(packCsr(g.adj, nnzOf(g.adj), 'float32')), be.upload(g.features)];
  const C = g.classes;
  let loss = NaN;
  let logits = new Float32Array(0);
  for (let step = 0; step <= o.steps; step++) {
    const dev = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, be.upload(v)]));
    const { outputs, residual } = prog.forward(dev, inputs);
    logits = Float32Array.from(be.download(outputs[0]!).data);
    if (step === o.steps) break;
    // Softmax cross-entropy over the labelled nodes.
    const d = new Float32Array(logits.length);
    loss = 0;
    for (const i of g.train) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, logits[i * C + c]!);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(logits[i * C + c]! - mx);
      for (let c = 0; c < C; c++) d[i * C + c] = (Math.exp(logits[i * C + c]! - mx) / z - (c === g.labels[i] ? 1 : 0)) / g.train.length;
      loss += (Math.log(z) + mx - logits[i * C + g.labels[i]!]!) / g.train.length;
    }
    const { dParams } = prog.backward(residual, [be.upload({ shape: [g.n, C], data: d })]);
    const grads = Object.fromEntries(Object.entries(dParams).map(([k, v]) => [k, be.download(v)]));
    [state, params] = opt.put([state, params], grads) as [typeof state, Record<string, HostTensor>];
  }
  const acc = (nodes: readonly number[]) => {
    let ok = 0;
    for (const i of nodes) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
      if (best === g.labels[i]) ok++;
    }
    return ok / nodes.length;
  };
  return { model: which, seed: o.seed, trainAccuracy: acc(g.train), testAccuracy: acc(g.test), finalLoss: loss, plannedPeakBytes: simulate(model, {}, 4).peakBytes };
};

/** Â²'s nonzeros: the static bound `check` would use, and the actual count (what `nnz` declares). */
export const squareCounts = (g: Graph): { staticBound: number; actual: number } => {
  const t = csrShape(g.n, g.n, nnzOf(g.adj));
  return { staticBound: spgemmBound(t, t), actual: nnzOf(spgemm(g.adj, g.adj)) };
};
