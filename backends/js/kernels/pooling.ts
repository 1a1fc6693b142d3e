// JS kernels of the bilinear-pooling primitives except `mcb` (see pooling-mcb.ts).
import { bilinearDef, concatLastDef, hadamardDef, outerProductDef, signedSqrtL2Def, sumPoolDef } from '../../../src/prims/pooling';
import { jsKernel, like, type JsTensor } from '../kernel';
import { sizeOf } from '../../../src/tensor/shape';

const lastOf = (t: JsTensor): number => t.shape[t.shape.length - 1]!;
const rowsOf = (t: JsTensor): number => sizeOf(t.shape) / lastOf(t);

export const outerProduct = jsKernel(outerProductDef, {
  forward: (n, _p, [x, y]) => {
    const dx = lastOf(x!);
    const dy = lastOf(y!);
    const rows = rowsOf(x!);
    const z = like(x!, n.outputs[0]!);
    for (let r = 0; r < rows; r++) {
      const xo = r * dx;
      const yo = r * dy;
      const zo = r * dx * dy;
      for (let i = 0; i < dx; i++) {
        const xi = x!.data[xo + i]!;
        const zi = zo + i * dy;
        for (let j = 0; j < dy; j++) z.data[zi + j] = xi * y!.data[yo + j]!;
      }
    }
    return { outputs: [z], residual: { x: x!, y: y! } };
  },
  backward: (_n, _p, r, [g]) => {
    const { x, y } = r as { x: JsTensor; y: JsTensor };
    const dx = lastOf(x);
    const dy = lastOf(y);
    const rows = rowsOf(x);
    const gx = like(x, x.shape);
    const gy = like(y, y.shape);
    for (let k = 0; k < rows; k++) {
      const xo = k * dx;
      const yo = k * dy;
      const go = k * dx * dy;
      for (let i = 0; i < dx; i++) {
        const xi = x.data[xo + i]!;
        const gi = go + i * dy;
        let s = 0;
        for (let j = 0; j < dy; j++) {
          const gij = g!.data[gi + j]!;
          s += gij * y.data[yo + j]!;
          gy.data[yo + j] += gij * xi;
        }
        gx.data[xo + i] = s;
      }
    }
    return { dInputs: [gx, gy], dParams: {} };
  },
});

export const signedSqrtL2 = jsKernel(signedSqrtL2Def, {
  forward: (n, _p, [v]) => {
    const eps = n.attrs.eps ?? 1e-8;
    const se = Math.sqrt(eps);
    const c = lastOf(v!);
    const rows = rowsOf(v!);
    const s = like(v!, v!.shape);
    const rnorm = like(v!, [rows]);
    const out = like(v!, v!.shape);
    for (let r = 0; r < rows; r++) {
      const o = r * c;
      let ss = 0;
      for (let i = 0; i < c; i++) {
        const a = v!.data[o + i]!;
        const si = Math.sign(a) * (Math.sqrt(Math.abs(a) + eps) - se);
        s.data[o + i] = si;
        ss += si * si;
      }
      const rn = 1 / Math.sqrt(ss + eps);
      rnorm.data[r] = rn;
      for (let i = 0; i < c; i++) out.data[o + i] = s.data[o + i]! * rn;
    }
    return { outputs: [out], residual: { s, rnorm } };
  },
  backward: (n, _p, r, [g]) => {
    const eps = n.attrs.eps ?? 1e-8;
    const se = Math.sqrt(eps);
    const { s, rnorm } = r as { s: JsTensor; rnorm: JsTensor };
    const c = lastOf(s);
    const rows = rowsOf(s);
    const dv = like(s, s.shape);
    for (let k = 0; k < rows; k++) {
      const o = k * c;
      const rn = rnorm.data[k]!;
      // out = s·rn, so ⟨out, g⟩ = rn·⟨s, g⟩.
      let dot = 0;
      for (let i = 0; i < c; i++) dot += s.data[o + i]! * g!.data[o + i]!;
      dot *= rn;
      for (let i = 0; i < c; i++) {
        const si = s.data[o + i]!;
        const ds = rn * (g!.data[o + i]! - si * rn * dot);
        // ds/dv = 1 / (2√(|v| + ε)) and √(|v| + ε) = |s| + √ε, so v need not be kept.
        dv.data[o + i] = ds / (2 * (Math.abs(si) + se));
      }
    }
    return { dInputs: [dv], dParams: {} };
  },
});

export const bilinear = jsKernel(bilinearDef, {
  forward: (n, p, [x, y]) => {
    const nb = n.attrs.blocks ?? 1;
    const out = n.attrs.out;
    const dx = lastOf(x!);
    const dy = lastOf(y!);
    const bx = dx / nb;
    const by = dy / nb;
    const bo = out / nb;
    const rows = rowsOf(x!);
    const w = p.w!.data;
    const z = like(x!, n.outputs[0]!);
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < nb; b++) {
        const xo = r * dx + b * bx;
        const yo = r * dy + b * by;
        const zo = r * out + b * bo;
        const wb = b * bx * by * bo;
        for (let i = 0; i < bx; i++) {
          const xi = x!.data[xo + i]!;
          if (xi === 0) continue;
          for (let j = 0; j < by; j++) {
            const t = xi * y!.data[yo + j]!;
            const wo = wb + (i * by + j) * bo;
            for (let k = 0; k < bo; k++) z.data[zo + k] += t * w[wo + k]!;
          }
        }
      }
    }
    return { outputs: [z], residual: { x: x!, y: y! } };
  },
  backward: (n, p, r, [g]) => {
    const { x, y } = r as { x: JsTensor; y: JsTensor };
    const nb = n.attrs.blocks ?? 1;
    const out = n.attrs.out;
    const dx = lastOf(x);
    const dy = lastOf(y);
    const bx = dx / nb;
    const by = dy / nb;
    const bo = out / nb;
    const rows = rowsOf(x);
    const w = p.w!.data;
    const gx = like(x, x.shape);
    const gy = like(y, y.shape);
    const gw = like(x, p.w!.shape);
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < nb; b++) {
        const xo = r * dx + b * bx;
        const yo = r * dy + b * by;
        const zo = r * out + b * bo;
        const wb = b * bx * by * bo;
        for (let i = 0; i < bx; i++) {
          const xi = x.data[xo + i]!;
          let sx = 0;
          for (let j = 0; j < by; j++) {
            const yj = y.data[yo + j]!;
            const t = xi * yj;
            const wo = wb + (i * by + j) * bo;
            // dt_ij = Σ_k w_ijk g_k; dw_ijk += t_ij g_k.
            let dt = 0;
            for (let k = 0; k < bo; k++) {
              const gk = g!.data[zo + k]!;
              dt += w[wo + k]! * gk;
              gw.data[wo + k] += t * gk;
            }
            sx += dt * yj;
            gy.data[yo + j] += dt * xi;
          }
          gx.data[xo + i] = sx;
        }
      }
    }
    return { dInputs: [gx, gy], dParams: { w: gw } };
  },
});

export const hadamard = jsKernel(hadamardDef, {
  forward: (_n, _p, [a, b]) => {
    const z = like(a!, a!.shape);
    for (let i = 0; i < z.data.length; i++) z.data[i] = a!.data[i]! * b!.data[i]!;
    return { outputs: [z], residual: { a: a!, b: b! } };
  },
  backward: (_n, _p, r, [g]) => {
    const { a, b } = r as { a: JsTensor; b: JsTensor };
    const ga = like(a, a.shape);
    const gb = like(b, b.shape);
    for (let i = 0; i < ga.data.length; i++) {
      ga.data[i] = g!.data[i]! * b.data[i]!;
      gb.data[i] = g!.data[i]! * a.data[i]!;
    }
    return { dInputs: [ga, gb], dParams: {} };
  },
});

export const sumPool = jsKernel(sumPoolDef, {
  forward: (n, _p, [x]) => {
    const k = n.attrs.k;
    const z = like(x!, n.outputs[0]!);
    for (let o = 0; o < z.data.length; o++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x!.data[o * k + i]!;
      z.data[o] = s;
    }
    return { outputs: [z], residual: {} };
  },
  backward: (n, _p, _r, [g]) => {
    const k = n.attrs.k;
    const gx = like(g!, n.inputs[0]!);
    for (let o = 0; o < g!.data.length; o++) gx.data.fill(g!.data[o]!, o * k, o * k + k);
    return { dInputs: [gx], dParams: {} };
  },
});

export const concatLast = jsKernel(concatLastDef, {
  forward: (n, _p, xs) => {
    const z = like(xs[0]!, n.outputs[0]!);
    const total = lastOf(z);
    const rows = rowsOf(z);
    let off = 0;
    for (const x of xs) {
      const c = lastOf(x);
      for (let r = 0; r < rows; r++) z.data.set(x.data.subarray(r * c, r * c + c), r * total + off);
      off += c;
    }
    return { outputs: [z], residual: {} };
  },
  backward: (n, _p, _r, [g]) => {
    const total = lastOf(g!);
    const rows = rowsOf(g!);
    let off = 0;
    const dInputs = n.inputs.map((s) => {
      const c = s[s.length - 1]!;
      const d = like(g!, s);
      for (let r = 0; r < rows; r++) d.data.set(g!.data.subarray(r * total + off, r * total + off + c), r * c);
      off += c;
      return d;
    });
    return { dInputs, dParams: {} };
  },
});
