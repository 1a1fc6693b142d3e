// JS kernels of the basic primitives: affine maps, embeddings, activations, normalisations, losses.
import {
  embeddingDef, geluDef, layerNormDef, linearDef, mseDef, reluDef, rmsNormDef, sigmoidDef, siluDef, softmaxDef, softmaxXentDef, tanhDef,
} from '../../../src/prims/basic';
import type { PrimitiveDef } from '../../../src/term/primitive';
import { jsKernel, like, type JsKernel, type JsTensor } from '../kernel';
import { matmul, matmulNT, matmulTN } from './linalg';
import { sizeOf } from '../../../src/tensor/shape';

const rowsCols = (t: JsTensor): [number, number] => {
  const c = t.shape.length ? t.shape[t.shape.length - 1]! : 1;
  return [sizeOf(t.shape) / c, c];
};

export const linear = jsKernel(linearDef, {
  forward: (n, p, [x]) => {
    const [m, k] = rowsCols(x!);
    const nOut = n.attrs.out;
    const y = like(x!, n.outputs[0]!);
    matmul(x!.data, p.w!.data, y.data, m, k, nOut);
    if (p.b) for (let i = 0; i < m; i++) for (let j = 0; j < nOut; j++) y.data[i * nOut + j] += p.b.data[j]!;
    return { outputs: [y], residual: { x: x! } };
  },
  backward: (n, p, r, [dy]) => {
    const x = r.x!;
    const [m, k] = rowsCols(x);
    const nOut = n.attrs.out;
    const dx = like(x, x.shape);
    matmulNT(dy!.data, p.w!.data, dx.data, m, nOut, k);
    const dw = like(x, p.w!.shape);
    matmulTN(x.data, dy!.data, dw.data, m, k, nOut);
    const dParams: Record<string, JsTensor> = { w: dw };
    if (p.b) {
      const db = like(x, p.b.shape);
      for (let i = 0; i < m; i++) for (let j = 0; j < nOut; j++) db.data[j] += dy!.data[i * nOut + j]!;
      dParams.b = db;
    }
    return { dInputs: [dx], dParams };
  },
});

export const embedding = jsKernel(embeddingDef, {
  forward: (n, p, [ids]) => {
    const d = n.attrs.dim;
    const vocab = n.attrs.vocab;
    const y = like(p.table!, n.outputs[0]!);
    for (let i = 0; i < ids!.data.length; i++) {
      const id = ids!.data[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab)
        throw new RangeError(`embedding: id ${id} at position ${i} is not an integer in [0, ${vocab})`);
      y.data.set(p.table!.data.subarray(id * d, id * d + d), i * d);
    }
    return { outputs: [y], residual: { ids: ids! } };
  },
  backward: (n, p, r, [dy]) => {
    const d = n.attrs.dim;
    const dt = like(p.table!, p.table!.shape);
    const ids = r.ids!.data;
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i]! * d;
      for (let j = 0; j < d; j++) dt.data[o + j] += dy!.data[i * d + j]!;
    }
    return { dInputs: [null], dParams: { table: dt } };
  },
});

/** An elementwise primitive from its function and derivative (both of the input). */
const unary = <A>(def: PrimitiveDef<A>, f: (x: number) => number, df: (x: number) => number): JsKernel<A> =>
  jsKernel(def, {
    forward: (_n, _p, [x]) => {
      const y = like(x!, x!.shape);
      for (let i = 0; i < y.data.length; i++) y.data[i] = f(x!.data[i]!);
      return { outputs: [y], residual: { x: x! } };
    },
    backward: (_n, _p, r, [dy]) => {
      const x = r.x!;
      const dx = like(x, x.shape);
      for (let i = 0; i < dx.data.length; i++) dx.data[i] = dy!.data[i]! * df(x.data[i]!);
      return { dInputs: [dx], dParams: {} };
    },
  });

const sigmoidOf = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const GC = Math.sqrt(2 / Math.PI);

export const relu = unary(reluDef, (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
export const tanh = unary(tanhDef, Math.tanh, (x) => 1 - Math.tanh(x) ** 2);
export const sigmoid = unary(sigmoidDef, sigmoidOf, (x) => sigmoidOf(x) * (1 - sigmoidOf(x)));
export const silu = unary(siluDef, (x) => x * sigmoidOf(x), (x) => sigmoidOf(x) * (1 + x * (1 - sigmoidOf(x))));
export const gelu = unary(
  geluDef,
  (x) => 0.5 * x * (1 + Math.tanh(GC * (x + 0.044715 * x ** 3))),
  (x) => {
    const u = GC * (x + 0.044715 * x ** 3);
    const th = Math.tanh(u);
    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GC * (1 + 3 * 0.044715 * x * x);
  },
);

/** Row-wise softmax into `out` (max-subtracted, so large logits do not overflow). */
export const softmaxRows = (x: JsTensor['data'], out: JsTensor['data'], rows: number, cols: number): void => {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, x[o + j]!);
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j]! - mx);
      out[o + j] = e;
      s += e;
    }
    for (let j = 0; j < cols; j++) out[o + j] /= s;
  }
};

export const softmax = jsKernel(softmaxDef, {
  forward: (_n, _p, [x]) => {
    const [m, c] = rowsCols(x!);
    const y = like(x!, x!.shape);
    softmaxRows(x!.data, y.data, m, c);
    return { outputs: [y], residual: { y } };
  },
  backward: (_n, _p, r, [dy]) => {
    const y = r.y!;
    const [m, c] = rowsCols(y);
    const dx = like(y, y.shape);
    for (let i = 0; i < m; i++) {
      let dot = 0;
      for (let j = 0; j < c; j++) dot += dy!.data[i * c + j]! * y.data[i * c + j]!;
      for (let j = 0; j < c; j++) dx.data[i * c + j] = y.data[i * c + j]! * (dy!.data[i * c + j]! - dot);
    }
    return { dInputs: [dx], dParams: {} };
  },
});

export const layernorm = jsKernel(layerNormDef, {
  forward: (n, p, [x]) => {
    const eps = n.attrs.eps ?? 1e-5;
    const [m, c] = rowsCols(x!);
    const xhat = like(x!, x!.shape);
    const rstd = like(x!, [m]);
    const y = like(x!, x!.shape);
    for (let i = 0; i < m; i++) {
      const o = i * c;
      let mu = 0;
      for (let j = 0; j < c; j++) mu += x!.data[o + j]!;
      mu /= c;
      let v = 0;
      for (let j = 0; j < c; j++) v += (x!.data[o + j]! - mu) ** 2;
      const rs = 1 / Math.sqrt(v / c + eps);
      rstd.data[i] = rs;
      for (let j = 0; j < c; j++) {
        const h = (x!.data[o + j]! - mu) * rs;
        xhat.data[o + j] = h;
        y.data[o + j] = h * p.g!.data[j]! + p.b!.data[j]!;
      }
    }
    return { outputs: [y], residual: { xhat, rstd } };
  },
  backward: (_n, p, r, [dy]) => {
    const { xhat, rstd } = r as { xhat: JsTensor; rstd: JsTensor };
    const [m, c] = rowsCols(xhat);
    const dx = like(xhat, xhat.shape);
    const dg = like(xhat, [c]);
    const db = like(xhat, [c]);
    for (let i = 0; i < m; i++) {
      const o = i * c;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < c; j++) {
        const g = dy!.data[o + j]!;
        dg.data[j] += g * xhat.data[o + j]!;
        db.data[j] += g;
        const gh = g * p.g!.data[j]!;
        s1 += gh;
        s2 += gh * xhat.data[o + j]!;
      }
      for (let j = 0; j < c; j++) {
        const gh = dy!.data[o + j]! * p.g!.data[j]!;
        dx.data[o + j] = rstd.data[i]! * (gh - s1 / c - (xhat.data[o + j]! * s2) / c);
      }
    }
    return { dInputs: [dx], dParams: { g: dg, b: db } };
  },
});

export const rmsnorm = jsKernel(rmsNormDef, {
  forward: (n, p, [x]) => {
    const eps = n.attrs.eps ?? 1e-6;
    const [m, c] = rowsCols(x!);
    const rinv = like(x!, [m]);
    const y = like(x!, x!.shape);
    for (let i = 0; i < m; i++) {
      const o = i * c;
      let s = 0;
      for (let j = 0; j < c; j++) s += x!.data[o + j]! ** 2;
      const r = 1 / Math.sqrt(s / c + eps);
      rinv.data[i] = r;
      for (let j = 0; j < c; j++) y.data[o + j] = x!.data[o + j]! * r * p.g!.data[j]!;
    }
    return { outputs: [y], residual: { x: x!, rinv } };
  },
  backward: (_n, p, r, [dy]) => {
    const { x, rinv } = r as { x: JsTensor; rinv: JsTensor };
    const [m, c] = rowsCols(x);
    const dx = like(x, x.shape);
    const dg = like(x, [c]);
    for (let i = 0; i < m; i++) {
      const o = i * c;
      const ri = rinv.data[i]!;
      let dot = 0;
      for (let j = 0; j < c; j++) {
        const g = dy!.data[o + j]!;
        dg.data[j] += g * x.data[o + j]! * ri;
        dot += g * p.g!.data[j]! * x.data[o + j]!;
      }
      for (let j = 0; j < c; j++)
        dx.data[o + j] = ri * dy!.data[o + j]! * p.g!.data[j]! - (ri ** 3 * x.data[o + j]! * dot) / c;
    }
    return { dInputs: [dx], dParams: { g: dg } };
  },
});

export const mse = jsKernel(mseDef, {
  forward: (_n, _p, [a, b]) => {
    const diff = like(a!, a!.shape);
    let s = 0;
    for (let i = 0; i < diff.data.length; i++) {
      diff.data[i] = a!.data[i]! - b!.data[i]!;
      s += diff.data[i]! ** 2;
    }
    const y = like(a!, []);
    y.data[0] = s / diff.data.length;
    return { outputs: [y], residual: { diff } };
  },
  backward: (_n, _p, r, [dy]) => {
    const diff = r.diff!;
    const da = like(diff, diff.shape);
    const db = like(diff, diff.shape);
    const k = (2 * dy!.data[0]!) / diff.data.length;
    for (let i = 0; i < diff.data.length; i++) {
      da.data[i] = k * diff.data[i]!;
      db.data[i] = -k * diff.data[i]!;
    }
    return { dInputs: [da, db], dParams: {} };
  },
});

export const softmaxXent = jsKernel(softmaxXentDef, {
  forward: (_n, _p, [logits, labels]) => {
    const [m, c] = rowsCols(logits!);
    const prob = like(logits!, logits!.shape);
    softmaxRows(logits!.data, prob.data, m, c);
    let loss = 0;
    for (let i = 0; i < m; i++) {
      const l = labels!.data[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= c) throw new RangeError(`softmax_xent: label ${l} at row ${i} is not a class in [0, ${c})`);
      loss -= Math.log(Math.max(prob.data[i * c + l]!, Number.MIN_VALUE));
    }
    const y = like(logits!, []);
    y.data[0] = loss / m;
    return { outputs: [y], residual: { prob, labels: labels! } };
  },
  backward: (_n, _p, r, [dy]) => {
    const { prob, labels } = r as { prob: JsTensor; labels: JsTensor };
    const [m, c] = rowsCols(prob);
    const d = like(prob, prob.shape);
    const k = dy!.data[0]! / m;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < c; j++) d.data[i * c + j] = k * prob.data[i * c + j]!;
      d.data[i * c + labels.data[i]!] -= k;
    }
    return { dInputs: [d, null], dParams: {} };
  },
});
