/**
 * Emitters of the structural boxes and the basic primitives (linear, embedding, activations,
 * softmax, norms, losses). Residuals keep exactly what the JS kernels keep, under the same names.
 *
 * @module
 */
import {
  embeddingDef,
  geluDef,
  layerNormDef,
  linearDef,
  mseDef,
  reluDef,
  rmsNormDef,
  sigmoidDef,
  siluDef,
  softmaxDef,
  softmaxXentDef,
  tanhDef,
} from '../../prims/basic';
import { addDef, copyDef, discardDef, idDef, permuteDef, reshapeDef } from '../../prims/structural';
import { lastPositionDef } from '../../prims/delta';
import type { PrimitiveDef } from '../../term/primitive';
import { sizeOf } from '../../tensor/shape';
import { type Emitter, type SomeEmitter, defineEmitter } from '../emitter';
import { type GraphBuilder, type Sym, floatAttr } from '../graph';

/** [..., c] as [rows, c]. */
export const rows2 = (g: GraphBuilder, x: Sym): Sym => {
  const c = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
  return g.reshape(x, [sizeOf(x.shape) / c, c]);
};

const lastDim = (x: Sym): number => (x.shape.length ? x.shape[x.shape.length - 1]! : 1);

export const structuralEmitters: SomeEmitter[] = [
  defineEmitter(idDef, {
    forward: (_g, _n, _p, xs) => ({ outputs: [...xs], residual: {} }),
    backward: (_g, _n, _p, _r, dys) => ({ dInputs: [...dys], dParams: {} }),
  }),
  defineEmitter(copyDef, {
    forward: (_g, n, _p, [x]) => ({ outputs: n.outputs.map(() => x!), residual: {} }),
    backward: (g, _n, _p, _r, dys) => ({ dInputs: [g.sum(dys)], dParams: {} }),
  }),
  defineEmitter(addDef, {
    forward: (g, _n, _p, xs) => ({ outputs: [g.sum(xs)], residual: {} }),
    backward: (_g, n, _p, _r, [dy]) => ({ dInputs: n.inputs.map(() => dy!), dParams: {} }),
  }),
  defineEmitter(discardDef, {
    forward: () => ({ outputs: [], residual: {} }),
    backward: () => ({ dInputs: [null], dParams: {} }),
  }),
  defineEmitter(permuteDef, {
    forward: (_g, n, _p, xs) => ({ outputs: n.attrs.perm.map((p) => xs[p]!), residual: {} }),
    backward: (_g, n, _p, _r, dys) => {
      const dInputs: Sym[] = new Array(n.attrs.perm.length);
      n.attrs.perm.forEach((p, i) => (dInputs[p] = dys[i]!));
      return { dInputs, dParams: {} };
    },
  }),
  defineEmitter(reshapeDef, {
    forward: (g, n, _p, [x]) => ({ outputs: [g.reshape(x!, n.outputs[0]!)], residual: {} }),
    backward: (g, n, _p, _r, [dy]) => ({ dInputs: [g.reshape(dy!, n.inputs[0]!)], dParams: {} }),
  }),
  defineEmitter(lastPositionDef, {
    forward: (g, n, _p, [x]) => {
      const [B, T, D] = n.inputs[0]!;
      return { outputs: [g.reshape(g.slice(x!, [T! - 1], [T!], [1]), [B!, D!])], residual: {} };
    },
    backward: (g, n, _p, _r, [dy]) => {
      const [B, T, D] = n.inputs[0]!;
      return { dInputs: [g.pad(g.reshape(dy!, [B!, 1, D!]), [0, T! - 1, 0, 0, 0, 0])], dParams: {} };
    },
  }),
];

/** An elementwise primitive from its forward and derivative, both as graph functions of the input. */
const unary = <A>(def: PrimitiveDef<A>, f: (g: GraphBuilder, x: Sym) => Sym, df: (g: GraphBuilder, x: Sym, dy: Sym) => Sym): Emitter<A> =>
  defineEmitter(def, {
    forward: (g, _n, _p, [x]) => ({ outputs: [f(g, x!)], residual: { x: x! } }),
    backward: (g, _n, _p, r, [dy]) => ({ dInputs: [df(g, r.x!, dy!)], dParams: {} }),
  });

const GC = Math.sqrt(2 / Math.PI);

/** tanh(√(2/π)(x + 0.044715 x³)), the inner part of the tanh-approximated GELU. */
const geluInner = (g: GraphBuilder, x: Sym): Sym => g.tanh(g.mul(g.scalar(GC), g.add(x, g.mul(g.scalar(0.044715), g.mul(x, g.mul(x, x))))));

export const basicEmitters: SomeEmitter[] = [
  defineEmitter(linearDef, {
    forward: (g, n, p, [x]) => {
      let y = g.matmul(x!, p.w!);
      if (n.attrs.bias !== false) y = g.add(y, p.b!);
      return { outputs: [y], residual: { x: x! } };
    },
    backward: (g, n, p, r, [dy]) => {
      const x2 = rows2(g, r.x!);
      const dy2 = rows2(g, dy!);
      const dx = g.reshape(g.gemm(dy2, p.w!, false, true), r.x!.shape);
      const dParams: Record<string, Sym> = { w: g.gemm(x2, dy2, true, false) };
      if (n.attrs.bias !== false) dParams.b = g.reduceSum(dy2, [0]);
      return { dInputs: [dx], dParams };
    },
  }),
  defineEmitter(embeddingDef, {
    forward: (g, _n, p, [ids]) => ({ outputs: [g.gather(p.table!, g.cast(ids!, 'int64'), 0)], residual: { ids: ids! } }),
    backward: (g, n, _p, r, [dy]) => {
      // The scatter-add of rows as a product with the one-hot matrix of the ids (duplicates add up).
      const ids = g.reshape(g.cast(r.ids!, 'int64'), [sizeOf(r.ids!.shape)]);
      const oh = g.oneHot(ids, n.attrs.vocab);
      return { dInputs: [null], dParams: { table: g.gemm(oh, rows2(g, dy!), true, false) } };
    },
  }),
  unary(reluDef, (g, x) => g.unary('Relu', x), (g, x, dy) => g.where(g.greater(x, g.scalar(0)), dy, g.scalar(0))),
  unary(tanhDef, (g, x) => g.tanh(x), (g, x, dy) => {
    const t = g.tanh(x);
    return g.mul(dy, g.sub(g.scalar(1), g.mul(t, t)));
  }),
  unary(sigmoidDef, (g, x) => g.sigmoid(x), (g, x, dy) => {
    const s = g.sigmoid(x);
    return g.mul(dy, g.mul(s, g.sub(g.scalar(1), s)));
  }),
  unary(siluDef, (g, x) => g.mul(x, g.sigmoid(x)), (g, x, dy) => {
    const s = g.sigmoid(x);
    return g.mul(dy, g.mul(s, g.add(g.scalar(1), g.mul(x, g.sub(g.scalar(1), s)))));
  }),
  unary(
    geluDef,
    (g, x) => g.mul(g.mul(g.scalar(0.5), x), g.add(g.scalar(1), geluInner(g, x))),
    (g, x, dy) => {
      const th = geluInner(g, x);
      // 0.5(1 + th) + 0.5 x (1 − th²) √(2/π)(1 + 3·0.044715 x²)
      const a = g.mul(g.scalar(0.5), g.add(g.scalar(1), th));
      const b = g.mul(g.mul(g.scalar(0.5 * GC), x), g.sub(g.scalar(1), g.mul(th, th)));
      const c = g.add(g.scalar(1), g.mul(g.scalar(3 * 0.044715), g.mul(x, x)));
      return g.mul(dy, g.add(a, g.mul(b, c)));
    },
  ),
  defineEmitter(softmaxDef, {
    forward: (g, _n, _p, [x]) => {
      const y = g.softmax(x!);
      return { outputs: [y], residual: { y } };
    },
    backward: (g, _n, _p, r, [dy]) => {
      const y = r.y!;
      const dot = g.reduceSum(g.mul(dy!, y), [-1], true);
      return { dInputs: [g.mul(y, g.sub(dy!, dot))], dParams: {} };
    },
  }),
  defineEmitter(layerNormDef, {
    forward: (g, n, p, [x]) => {
      const c = lastDim(x!);
      // LayerNormalization with unit gain and no bias gives x̂ and the inverse std: the residual.
      const [xhat, , inv] = g.node('LayerNormalization', [x!, g.constant(new Array(c).fill(1), [c])], { axis: -1, epsilon: floatAttr(n.attrs.eps ?? 1e-5) }, [
        { shape: x!.shape },
        { shape: [...x!.shape.slice(0, -1), 1] },
        { shape: [...x!.shape.slice(0, -1), 1] },
      ]) as [Sym, Sym, Sym];
      const rstd = g.reshape(inv, [sizeOf(x!.shape) / c]);
      return { outputs: [g.add(g.mul(xhat, p.g!), p.b!)], residual: { xhat, rstd } };
    },
    backward: (g, _n, p, r, [dy]) => {
      const xhat = rows2(g, r.xhat!);
      const c = lastDim(xhat);
      const d = rows2(g, dy!);
      const rstd = g.unsqueeze(r.rstd!, [-1]);
      const gh = g.mul(d, p.g!);
      const s1 = g.reduceSum(gh, [-1], true);
      const s2 = g.reduceSum(g.mul(gh, xhat), [-1], true);
      const inner = g.sub(g.sub(gh, g.div(s1, g.scalar(c))), g.div(g.mul(xhat, s2), g.scalar(c)));
      return {
        dInputs: [g.reshape(g.mul(rstd, inner), r.xhat!.shape)],
        dParams: { g: g.reduceSum(g.mul(d, xhat), [0]), b: g.reduceSum(d, [0]) },
      };
    },
  }),
  defineEmitter(rmsNormDef, {
    forward: (g, n, p, [x]) => {
      const c = lastDim(x!);
      const x2 = rows2(g, x!);
      const ms = g.reduceMean(g.mul(x2, x2), [-1], true);
      const rinv = g.reciprocal(g.sqrt(g.add(ms, g.scalar(n.attrs.eps ?? 1e-6))));
      const y = g.reshape(g.mul(g.mul(x2, rinv), p.g!), x!.shape);
      return { outputs: [y], residual: { x: x!, rinv: g.reshape(rinv, [sizeOf(x!.shape) / c]) } };
    },
    backward: (g, _n, p, r, [dy]) => {
      const x = rows2(g, r.x!);
      const c = lastDim(x);
      const d = rows2(g, dy!);
      const ri = g.unsqueeze(r.rinv!, [-1]);
      const dot = g.reduceSum(g.mul(g.mul(d, p.g!), x), [-1], true);
      const ri3 = g.mul(ri, g.mul(ri, ri));
      const dx = g.sub(g.mul(g.mul(ri, d), p.g!), g.div(g.mul(g.mul(ri3, x), dot), g.scalar(c)));
      return { dInputs: [g.reshape(dx, r.x!.shape)], dParams: { g: g.reduceSum(g.mul(g.mul(d, x), ri), [0]) } };
    },
  }),
  defineEmitter(mseDef, {
    forward: (g, _n, _p, [a, b]) => {
      const diff = g.sub(a!, b!);
      const all = diff.shape.map((_, i) => i);
      const y = all.length ? g.reduceMean(g.mul(diff, diff), all) : g.mul(diff, diff);
      return { outputs: [y], residual: { diff } };
    },
    backward: (g, _n, _p, r, [dy]) => {
      const diff = r.diff!;
      const da = g.mul(g.mul(dy!, g.scalar(2 / sizeOf(diff.shape))), diff);
      return { dInputs: [da, g.neg(da)], dParams: {} };
    },
  }),
  defineEmitter(softmaxXentDef, {
    forward: (g, _n, _p, [logits, labels]) => {
      const x = rows2(g, logits!);
      const [m, c] = x.shape as [number, number];
      const prob = g.reshape(g.softmax(x), logits!.shape);
      const oh = g.oneHot(g.reshape(g.cast(labels!, 'int64'), [m]), c);
      // The loss from log-softmax (not log of the rounded probabilities): accurate for confident rows.
      const loss = g.div(g.neg(g.reduceSum(g.mul(oh, g.logSoftmax(x)), [0, 1])), g.scalar(m));
      return { outputs: [loss], residual: { prob, labels: labels! } };
    },
    backward: (g, _n, _p, r, [dy]) => {
      const p = rows2(g, r.prob!);
      const [m, c] = p.shape as [number, number];
      const oh = g.oneHot(g.reshape(g.cast(r.labels!, 'int64'), [m]), c);
      const d = g.mul(g.div(dy!, g.scalar(m)), g.sub(p, oh));
      return { dInputs: [g.reshape(d, r.prob!.shape), null], dParams: {} };
    },
  }),
];
