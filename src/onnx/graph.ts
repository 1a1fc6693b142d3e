/**
 * Building ONNX graphs with shapes known at every step. A {@link Sym} is a value of one graph (a
 * name, an element type, a static shape); {@link GraphBuilder} appends nodes and gives back their
 * outputs as `Sym`s, computing the output shapes itself, so emitters can check and plan with real
 * shapes and a wrong shape is caught where it is made. Constants are graph initializers, shared when
 * equal. Names are generated in order, so the same emission gives the same graph, byte for byte.
 *
 * @module
 */
import type { Shape } from '../tensor/shape';
import { showShape, sizeOf } from '../tensor/shape';
import { type AttributeProto, DataType, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto';

/** Element types of values in the graphs written here. */
export type Elem = 'float' | 'double' | 'int64' | 'bool';

const ELEM_TYPE: Record<Elem, DataType> = { float: DataType.float, double: DataType.double, int64: DataType.int64, bool: DataType.bool };

/** A value of one graph: its name, element type and static shape. */
export class Sym {
  constructor(
    readonly graph: GraphBuilder,
    readonly name: string,
    readonly shape: Shape,
    readonly elem: Elem = 'float',
  ) {}
}

/** An attribute value: numbers are ints unless wrapped with {@link floatAttr}. */
export type AttrValue =
  | number
  | string
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: TensorProto }
  | readonly number[]
  | GraphProto;

/** A float attribute (plain numbers are written as ints). */
export const floatAttr = (x: number): { readonly float: number } => ({ float: x });

const toAttr = (name: string, v: AttrValue): AttributeProto => {
  if (typeof v === 'number') return { name, type: 'int', value: v };
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (Array.isArray(v)) return { name, type: 'ints', value: v };
  if ('float' in v) return { name, type: 'float', value: v.float };
  if ('floats' in v) return { name, type: 'floats', value: v.floats };
  if ('tensor' in v) return { name, type: 'tensor', value: v.tensor };
  return { name, type: 'graph', value: v as GraphProto };
};

/** A problem while emitting a graph: which node (term path) and what was wrong. */
export class OnnxEmitError extends Error {
  override readonly name = 'OnnxEmitError';
  constructor(
    readonly scope: string,
    detail: string,
  ) {
    super(`${scope || '<root>'}: ${detail}`);
  }
}

/** Numpy-style broadcast of two shapes, or null if they do not broadcast. */
export const broadcastShapes = (a: Shape, b: Shape): Shape | null => {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
};

const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/**
 * One ONNX graph under construction. `scope` (the term path of the node being emitted) names the
 * nodes, so a graph can be read back against the term.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly ins: ValueInfoProto[] = [];
  private readonly outs: ValueInfoProto[] = [];
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, Sym>();
  private counter = 0;
  private nodeCounter = 0;
  private subgraphs = 0;
  /** The term path whose node is being emitted (names nodes; errors name it). */
  scope = '';

  constructor(
    readonly name: string,
    /** Prefix of generated value names (a subgraph uses its own, so names never clash with its parent's). */
    private readonly prefix = 'v',
  ) {}

  private fresh(): string {
    let n: string;
    do n = `${this.prefix}${this.counter++}`;
    while (this.taken.has(n));
    this.taken.add(n);
    return n;
  }

  private claim(name: string, what: string): void {
    if (this.taken.has(name)) throw new OnnxEmitError(this.scope, `${what} name '${name}' is used twice in graph '${this.name}'`);
    this.taken.add(name);
  }

  /** Fail with the current scope unless `ok`. */
  check(ok: boolean, msg: () => string): void {
    if (!ok) throw new OnnxEmitError(this.scope, msg());
  }

  /** A graph input. */
  input(name: string, shape: Shape, elem: Elem = 'float'): Sym {
    this.claim(name, 'input');
    this.ins.push({ name, elemType: ELEM_TYPE[elem], shape: [...shape] });
    return new Sym(this, name, shape, elem);
  }

  /** Make `s` a graph output called `name` (through an Identity, so one value may leave under several names). */
  output(s: Sym, name: string): void {
    this.own(s);
    this.claim(name, 'output');
    this.nodes.push({ name: `${this.scope}#out${this.nodeCounter++}`, opType: 'Identity', domain: '', inputs: [s.name], outputs: [name], attributes: [] });
    this.outs.push({ name, elemType: ELEM_TYPE[s.elem], shape: [...s.shape] });
  }

  private own(s: Sym): void {
    if (s.graph !== this) throw new OnnxEmitError(this.scope, `internal: value '${s.name}' of graph '${s.graph.name}' used in graph '${this.name}'`);
  }

  /**
   * Append a node; `outs` gives each output's shape and element type (the caller knows them: every
   * helper below computes them from its inputs).
   */
  node(opType: string, inputs: readonly (Sym | null)[], attrs: Readonly<Record<string, AttrValue>>, outs: readonly { shape: Shape; elem?: Elem }[]): Sym[] {
    for (const x of inputs) if (x) this.own(x);
    const outputs = outs.map((o) => new Sym(this, this.fresh(), o.shape, o.elem ?? 'float'));
    this.nodes.push({
      name: `${this.scope}#${this.nodeCounter++}`,
      opType,
      domain: '',
      inputs: inputs.map((x) => (x ? x.name : '')),
      outputs: outputs.map((o) => o.name),
      attributes: Object.keys(attrs).map((k) => toAttr(k, attrs[k]!)),
    });
    return outputs;
  }

  /** A constant tensor (a shared initializer). */
  constant(values: ArrayLike<number>, shape: Shape, elem: Elem = 'float'): Sym {
    this.check(values.length === sizeOf(shape), () => `internal: constant of shape ${showShape(shape)} given ${values.length} values`);
    let raw: Uint8Array;
    if (elem === 'float') raw = new Uint8Array(Float32Array.from(values).buffer);
    else if (elem === 'double') raw = new Uint8Array(Float64Array.from(values).buffer);
    else if (elem === 'int64') raw = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    else raw = Uint8Array.from(values, (v) => (v ? 1 : 0));
    // Small constants are shared by content; large ones (tables) by identity of the call.
    const key = raw.length <= 4096 ? `${elem}|${shape.join(',')}|${Array.from(raw).join(',')}` : undefined;
    const hit = key === undefined ? undefined : this.constants.get(key);
    if (hit) return hit;
    const s = new Sym(this, this.fresh(), shape, elem);
    this.inits.push({ name: s.name, dims: [...shape], dataType: ELEM_TYPE[elem], raw });
    if (key !== undefined) this.constants.set(key, s);
    return s;
  }

  scalar(v: number): Sym {
    return this.constant([v], []);
  }

  ints(vs: readonly number[]): Sym {
    return this.constant(vs, [vs.length], 'int64');
  }

  /** Shapes and element types of the outputs declared so far (a subgraph's outputs, for the node that runs it). */
  outputShapes(): { shape: Shape; elem: Elem }[] {
    const back: Record<number, Elem> = { [DataType.float]: 'float', [DataType.double]: 'double', [DataType.int64]: 'int64', [DataType.bool]: 'bool' };
    return this.outs.map((o) => ({ shape: o.shape as number[], elem: back[o.elemType]! }));
  }

  /** A builder for a subgraph (a Scan or Loop body) whose generated names cannot clash with this graph's. */
  subgraph(name: string): GraphBuilder {
    const b = new GraphBuilder(name, `${this.prefix}s${this.subgraphs++}_`);
    b.scope = this.scope;
    return b;
  }

  /**
   * ONNX Scan: `body` (built from {@link subgraph}) maps (states, one slice of each scan input along
   * axis 0) to (new states, one slice of each scan output). Returns the final states, then the scan
   * outputs stacked along a new axis 0. `reverse` runs from the last slice to the first and stores
   * the outputs in the original order.
   */
  scan(body: GraphBuilder, states: readonly Sym[], scanInputs: readonly Sym[], reverse = false): Sym[] {
    const outs = body.outputShapes();
    const L = scanInputs[0]!.shape[0]!;
    this.check(scanInputs.every((x) => x.shape[0] === L), () => `Scan: scan inputs disagree on their length (${scanInputs.map((x) => showShape(x.shape)).join(', ')})`);
    this.check(outs.length >= states.length, () => `Scan: the body has ${outs.length} outputs for ${states.length} states`);
    const nScanOut = outs.length - states.length;
    return this.node(
      'Scan',
      [...states, ...scanInputs],
      {
        body: body.build(),
        num_scan_inputs: scanInputs.length,
        ...(reverse ? { scan_input_directions: scanInputs.map(() => 1), scan_output_directions: new Array<number>(nScanOut).fill(1) } : {}),
      },
      outs.map((o, i) => (i < states.length ? o : { shape: [L, ...o.shape], elem: o.elem })),
    );
  }

  /** Cumulative sum along `axis` (`exclusive`: the sum of the elements before). */
  cumsum(x: Sym, axis: number, exclusive = false): Sym {
    return this.node('CumSum', [x, this.constant([normAxis(axis, x.shape.length)], [], 'int64')], exclusive ? { exclusive: 1 } : {}, [{ shape: x.shape, elem: x.elem }])[0]!;
  }

  /** The finished graph. */
  build(docString = ''): GraphProto {
    return { name: this.name, nodes: [...this.nodes], initializers: [...this.inits], inputs: [...this.ins], outputs: [...this.outs], valueInfo: [], docString };
  }

  // --- ops with shape inference ---------------------------------------------------------

  private bin(op: string, a: Sym, b: Sym, elem: Elem = a.elem): Sym {
    const s = broadcastShapes(a.shape, b.shape);
    this.check(s !== null, () => `${op}: shapes ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`);
    return this.node(op, [a, b], {}, [{ shape: s!, elem }])[0]!;
  }

  add(a: Sym, b: Sym): Sym {
    return this.bin('Add', a, b);
  }
  sub(a: Sym, b: Sym): Sym {
    return this.bin('Sub', a, b);
  }
  mul(a: Sym, b: Sym): Sym {
    return this.bin('Mul', a, b);
  }
  div(a: Sym, b: Sym): Sym {
    return this.bin('Div', a, b);
  }
  max(a: Sym, b: Sym): Sym {
    return this.bin('Max', a, b);
  }
  min(a: Sym, b: Sym): Sym {
    return this.bin('Min', a, b);
  }
  pow(a: Sym, b: Sym): Sym {
    return this.bin('Pow', a, b);
  }
  greater(a: Sym, b: Sym): Sym {
    return this.bin('Greater', a, b, 'bool');
  }
  less(a: Sym, b: Sym): Sym {
    return this.bin('Less', a, b, 'bool');
  }
  equal(a: Sym, b: Sym): Sym {
    return this.bin('Equal', a, b, 'bool');
  }
  and(a: Sym, b: Sym): Sym {
    return this.bin('And', a, b, 'bool');
  }
  /** Sum of several same-shaped (or broadcastable) values. */
  sum(xs: readonly Sym[]): Sym {
    this.check(xs.length > 0, () => 'internal: Sum of nothing');
    if (xs.length === 1) return xs[0]!;
    let s: Shape = xs[0]!.shape;
    for (const x of xs.slice(1)) {
      const b = broadcastShapes(s, x.shape);
      this.check(b !== null, () => `Sum: shapes ${xs.map((y) => showShape(y.shape)).join(', ')} do not broadcast`);
      s = b!;
    }
    return this.node('Sum', xs, {}, [{ shape: s }])[0]!;
  }

  unary(op: string, x: Sym): Sym {
    return this.node(op, [x], {}, [{ shape: x.shape, elem: op === 'Not' ? 'bool' : x.elem }])[0]!;
  }
  neg(x: Sym): Sym {
    return this.unary('Neg', x);
  }
  exp(x: Sym): Sym {
    return this.unary('Exp', x);
  }
  log(x: Sym): Sym {
    return this.unary('Log', x);
  }
  sqrt(x: Sym): Sym {
    return this.unary('Sqrt', x);
  }
  tanh(x: Sym): Sym {
    return this.unary('Tanh', x);
  }
  sigmoid(x: Sym): Sym {
    return this.unary('Sigmoid', x);
  }
  abs(x: Sym): Sym {
    return this.unary('Abs', x);
  }
  sign(x: Sym): Sym {
    return this.unary('Sign', x);
  }
  reciprocal(x: Sym): Sym {
    return this.unary('Reciprocal', x);
  }
  not(x: Sym): Sym {
    return this.unary('Not', x);
  }

  /** `cond ? a : b`, broadcasting. */
  where(cond: Sym, a: Sym, b: Sym): Sym {
    const ca = broadcastShapes(cond.shape, a.shape);
    const s = ca && broadcastShapes(ca, b.shape);
    this.check(s !== null, () => `Where: shapes ${showShape(cond.shape)}, ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`);
    return this.node('Where', [cond, a, b], {}, [{ shape: s!, elem: a.elem }])[0]!;
  }

  cast(x: Sym, to: Elem): Sym {
    if (x.elem === to) return x;
    return this.node('Cast', [x], { to: ELEM_TYPE[to] }, [{ shape: x.shape, elem: to }])[0]!;
  }

  /** Batched matrix product with numpy broadcasting of the leading dimensions. */
  matmul(a: Sym, b: Sym): Sym {
    this.check(a.shape.length >= 1 && b.shape.length >= 1, () => 'MatMul of a scalar');
    const a2 = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
    const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
    const [m, k] = a2.slice(-2) as [number, number];
    const [k2, n] = b2.slice(-2) as [number, number];
    this.check(k === k2, () => `MatMul: inner dimensions differ, ${showShape(a.shape)} × ${showShape(b.shape)}`);
    const lead = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
    this.check(lead !== null, () => `MatMul: batch dimensions of ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`);
    const shape = [...lead!, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
    return this.node('MatMul', [a, b], {}, [{ shape, elem: a.elem }])[0]!;
  }

  /** `op(a) · op(b)` for 2-D a, b (Gemm without C). */
  gemm(a: Sym, b: Sym, transA = false, transB = false): Sym {
    this.check(a.shape.length === 2 && b.shape.length === 2, () => `Gemm needs 2-D inputs, got ${showShape(a.shape)} and ${showShape(b.shape)}`);
    const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    this.check(k === k2, () => `Gemm: inner dimensions differ (${k} vs ${k2})`);
    return this.node('Gemm', [a, b], { ...(transA ? { transA: 1 } : {}), ...(transB ? { transB: 1 } : {}) }, [{ shape: [m, n], elem: a.elem }])[0]!;
  }

  reshape(x: Sym, shape: Shape): Sym {
    this.check(sizeOf(shape) === sizeOf(x.shape), () => `Reshape: ${showShape(x.shape)} to ${showShape(shape)} changes the size`);
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
    return this.node('Reshape', [x, this.ints(shape)], {}, [{ shape, elem: x.elem }])[0]!;
  }

  transpose(x: Sym, perm: readonly number[]): Sym {
    this.check(perm.length === x.shape.length, () => `Transpose: perm ${JSON.stringify(perm)} for rank ${x.shape.length}`);
    if (perm.every((p, i) => p === i)) return x;
    return this.node('Transpose', [x], { perm: [...perm] }, [{ shape: perm.map((p) => x.shape[p]!), elem: x.elem }])[0]!;
  }

  private reduce(op: string, x: Sym, axes: readonly number[], keep: boolean): Sym {
    const r = x.shape.length;
    const ax = axes.map((a) => normAxis(a, r));
    const shape = keep ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
    return this.node(op, [x, this.ints(ax)], { keepdims: keep ? 1 : 0 }, [{ shape, elem: x.elem }])[0]!;
  }
  reduceSum(x: Sym, axes: readonly number[], keep = false): Sym {
    return this.reduce('ReduceSum', x, axes, keep);
  }
  reduceMax(x: Sym, axes: readonly number[], keep = false): Sym {
    return this.reduce('ReduceMax', x, axes, keep);
  }
  reduceMean(x: Sym, axes: readonly number[], keep = false): Sym {
    return this.reduce('ReduceMean', x, axes, keep);
  }
  /** Sum over all leading axes down to `shape` (the adjoint of broadcasting to x's shape). */
  sumTo(x: Sym, shape: Shape): Sym {
    const lead = x.shape.length - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < x.shape.length; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
    if (axes.length === 0) return x;
    return this.reshape(this.reduceSum(x, axes, true), shape);
  }

  softmax(x: Sym, axis = -1): Sym {
    return this.node('Softmax', [x], { axis }, [{ shape: x.shape }])[0]!;
  }
  logSoftmax(x: Sym, axis = -1): Sym {
    return this.node('LogSoftmax', [x], { axis }, [{ shape: x.shape }])[0]!;
  }

  unsqueeze(x: Sym, axes: readonly number[]): Sym {
    const r = x.shape.length + axes.length;
    const ax = axes.map((a) => normAxis(a, r)).sort((p, q) => p - q);
    const shape: number[] = [...x.shape];
    for (const a of ax) shape.splice(a, 0, 1);
    return this.reshape(x, shape);
  }

  /** `x[starts:ends]` along `axes` (step 1). */
  slice(x: Sym, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Sym {
    const shape = [...x.shape];
    axes.forEach((a, i) => (shape[normAxis(a, x.shape.length)] = ends[i]! - starts[i]!));
    return this.node('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes)], {}, [{ shape, elem: x.elem }])[0]!;
  }

  concat(xs: readonly Sym[], axis: number): Sym {
    if (xs.length === 1) return xs[0]!;
    const a = normAxis(axis, xs[0]!.shape.length);
    const shape = [...xs[0]!.shape];
    shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
    return this.node('Concat', xs, { axis: a }, [{ shape, elem: xs[0]!.elem }])[0]!;
  }

  /** Zero padding: `pads` lists the amounts before every axis, then after every axis. */
  pad(x: Sym, pads: readonly number[]): Sym {
    const r = x.shape.length;
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
    return this.node('Pad', [x, this.ints(pads)], {}, [{ shape, elem: x.elem }])[0]!;
  }

  /** Gather along `axis` with integer indices (int64). */
  gather(x: Sym, idx: Sym, axis: number): Sym {
    const a = normAxis(axis, x.shape.length);
    const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
    return this.node('Gather', [x, idx], { axis: a }, [{ shape, elem: x.elem }])[0]!;
  }

  /** One-hot along a new last axis: float 1 where the (int64) index equals the position. */
  oneHot(idx: Sym, depth: number): Sym {
    return this.node('OneHot', [idx, this.constant([depth], [], 'int64'), this.constant([0, 1], [2])], { axis: -1 }, [{ shape: [...idx.shape, depth] }])[0]!;
  }

  /** A tensor of zeros (ConstantOfShape, so no large initializer is stored). */
  zeros(shape: Shape): Sym {
    const tensor: TensorProto = { name: '', dims: [1], dataType: DataType.float, raw: new Uint8Array(4) };
    return this.node('ConstantOfShape', [this.ints(shape)], { value: { tensor } }, [{ shape }])[0]!;
  }

  /** Broadcast `x` to `shape`. */
  expand(x: Sym, shape: Shape): Sym {
    if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
    return this.node('Expand', [x, this.ints(shape)], {}, [{ shape, elem: x.elem }])[0]!;
  }
}
