/**
 * Parametrised optics that share one parameter record.
 *
 * {@link paraSeq} pairs the parameters of its parts (`[p, q]`). A model instead reads every part's
 * parameters out of one record (a flat map from paths to tensors), and the cotangent of that record
 * is the sum of the parts' cotangents. That is `paraSeq` reparametrised by the copy
 * `P → [P, P]`, whose backward pass adds: `reparam(paraSeq(f, g), copyOptic(M))`. The n-ary,
 * flat forms here compute exactly that without nesting, by *threading* the parameters through a
 * flat chain (so residuals stay flat and a 100,000-step chain needs no deep recursion):
 *
 * - {@link threaded} turns a parametrised optic `[P, A] → B` into a plain optic `[P, A] → [P, B]`
 *   that passes the parameters on and, backwards, adds its parameter cotangent to the one arriving
 *   from later stages;
 * - {@link unthreaded} closes such a chain back into a parametrised optic;
 * - {@link paraSeqs} is `unthreaded ∘ seqOptics ∘ threaded`, {@link paraPars} the parallel form on
 *   lists of wires.
 *
 * The cotangent monoid `M` decides how parameter cotangents combine; for parameters owned by
 * disjoint parts, a monoid whose `concat` is O(1) (a tree, flattened once) keeps long chains linear.
 *
 * @module
 */
import type { Monoid } from 'fp-ts/lib/Monoid.js';
import type { Optic } from './optic';
import { view } from './optic';
import type { Para } from './para';
import type { TwoCell } from './twocell';

/**
 * A parametrised optic as a stage of a chain that carries its parameters along: forward
 * `[p, a] ↦ [p, b]`, backward adds this stage's parameter cotangent to the incoming one.
 *
 * @example
 * ```ts
 * import { MonoidSum } from 'fp-ts/lib/number.js';
 * const s = threaded(MonoidSum)(scale); // scale: y = w·x
 * s.fwd([2, 3]);           // [[2, 3], [2, 6]]
 * s.bwd([2, 3], [10, 1]);  // [13, 2]  (10 from later stages + x·dy = 3)
 * ```
 */
export const threaded =
  <DP>(M: Monoid<DP>) =>
  <R, P, A, B, DB, DA>(f: Para<R, P, A, B, DB, DP, DA>): Optic<R, [P, A], [P, B], [DP, DB], [DP, DA]> => ({
    fwd: ([p, a]) => {
      const [m, b] = f.fwd([p, a]);
      return [m, [p, b]];
    },
    bwd: (m, [dp, db]) => {
      const [dq, da] = f.bwd(m, db);
      return [M.concat(dp, dq), da];
    },
    get: ([p, a]) => [p, view(f)([p, a])],
  });

/**
 * Closes a chain of {@link threaded} stages into a parametrised optic: drops the parameters at the
 * end of the forward pass and starts the backward pass with the empty parameter cotangent.
 *
 * @example
 * ```ts
 * const both = unthreaded(MonoidSum)(seqOptics(threaded(MonoidSum)(scale), threaded(MonoidSum)(scale)));
 * both.fwd([2, 1])[1]; // 4
 * ```
 */
export const unthreaded =
  <DP>(M: Monoid<DP>) =>
  <R, P, A, B, DB, DA>(o: Optic<R, [P, A], [P, B], [DP, DB], [DP, DA]>): Para<R, P, A, B, DB, DP, DA> => ({
    fwd: (pa) => {
      const [m, [, b]] = o.fwd(pa);
      return [m, b];
    },
    bwd: (m, db) => o.bwd(m, [M.empty, db]),
    get: (pa) => view(o)(pa)[1],
  });

/**
 * Flat n-ary sequential composition of parametrised optics that read one shared parameter record;
 * parameter cotangents are combined with `M` (latest stage first). Residual: one entry per stage.
 * Equals `reparam(paraSeq(f, g), copyOptic(M))` for two stages, up to the residual's shape.
 *
 * @example
 * ```ts
 * const twice = paraSeqs(MonoidSum)(scale, scale); // y = w·(w·x), shared w
 * twice.fwd([3, 1])[1]; // 9
 * ```
 */
export const paraSeqs =
  <DP>(M: Monoid<DP>) =>
  <P>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ...fs: ReadonlyArray<Para<any, P, any, any, any, DP, any>>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Para<unknown[], P, any, any, any, DP, any> => {
    const stages = fs.map(threaded(M));
    const n = stages.length;
    return unthreaded(M)({
      fwd: (pa) => {
        const ms: unknown[] = new Array(n);
        let x: unknown = pa;
        for (let i = 0; i < n; i++) {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const [m, y] = stages[i]!.fwd(x as any);
          ms[i] = m;
          x = y;
        }
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return [ms, x as any];
      },
      bwd: (ms, d) => {
        let g: unknown = d;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        for (let i = n - 1; i >= 0; i--) g = stages[i]!.bwd(ms[i], g as any);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return g as any;
      },
      get: (pa) => {
        let x: unknown = pa;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        for (let i = 0; i < n; i++) x = stages[i]!.get!(x as any);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return x as any;
      },
    });
  };

/** One part of a {@link paraPars}: a parametrised optic on lists of wires, with its wire counts. */
export interface ParPart<P, X, Y, DY, DP, DX> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly para: Para<any, P, readonly X[], Y[], readonly DY[], DP, DX[]>;
  readonly inputs: number;
  readonly outputs: number;
}

/**
 * Parallel composition on lists of wires, with a shared parameter record: part `i` reads the next
 * `inputs` wires and writes the next `outputs`; backward splits the output cotangents the same
 * way, runs the parts in order and combines their parameter cotangents with `M`. Residual: one
 * entry per part. For two parts it is `paraPar` reparametrised by the copy of `P`, with the wire
 * lists split and joined.
 *
 * @example
 * ```ts
 * const side = paraPars(MonoidSum)([{ para: scaleList, inputs: 1, outputs: 1 }, { para: scaleList, inputs: 1, outputs: 1 }]);
 * side.fwd([2, [1, 5]])[1]; // [2, 10]
 * ```
 */
export const paraPars =
  <DP>(M: Monoid<DP>) =>
  <P, X, Y, DY, DX>(parts: ReadonlyArray<ParPart<P, X, Y, DY, DP, DX>>): Para<unknown[], P, readonly X[], Y[], readonly DY[], DP, DX[]> => ({
    fwd: ([p, xs]) => {
      const ms: unknown[] = [];
      const ys: Y[] = [];
      let o = 0;
      for (const part of parts) {
        const [m, out] = part.para.fwd([p, xs.slice(o, o + part.inputs)]);
        o += part.inputs;
        ms.push(m);
        for (const y of out) ys.push(y);
      }
      return [ms, ys];
    },
    bwd: (ms, dys) => {
      let dp = M.empty;
      const dxs: DX[] = [];
      let o = 0;
      parts.forEach((part, i) => {
        const [dq, dx] = part.para.bwd(ms[i], dys.slice(o, o + part.outputs));
        o += part.outputs;
        dp = M.concat(dp, dq);
        for (const d of dx) dxs.push(d);
      });
      return [dp, dxs];
    },
    get: ([p, xs]) => {
      const ys: Y[] = [];
      let o = 0;
      for (const part of parts) {
        for (const y of view(part.para)([p, xs.slice(o, o + part.inputs)])) ys.push(y);
        o += part.inputs;
      }
      return ys;
    },
  });

/**
 * A 2-cell between shared-parameter sequential composites, from 2-cells between the stages:
 * `r` maps each stage's residual by that stage's cell (horizontal composition, n-ary).
 *
 * @example
 * ```ts
 * const c = paraSeqCells(MonoidSum)([cellA, cellB]); // c.r([ma, mb]) = [cellA.r(ma), cellB.r(mb)]
 * ```
 */
export const paraSeqCells =
  <DP>(M: Monoid<DP>) =>
  <P>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    cells: ReadonlyArray<TwoCell<any, any, [P, any], any, any, [DP, any]>>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): TwoCell<unknown[], unknown[], [P, any], any, any, [DP, any]> => ({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    source: paraSeqs(M)(...cells.map((c) => c.source as Para<any, P, any, any, any, DP, any>)),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    target: paraSeqs(M)(...cells.map((c) => c.target as Para<any, P, any, any, any, DP, any>)),
    r: (ms) => ms.map((m, i) => cells[i]!.r(m)),
  });

/**
 * A 2-cell between {@link paraPars} composites from 2-cells between the parts (parallel composition
 * of 2-cells, n-ary).
 *
 * @example
 * ```ts
 * const c = paraParCells(MonoidSum)([{ cell, inputs: 1, outputs: 1 }, { cell: identityCell(o), inputs: 2, outputs: 1 }]);
 * ```
 */
export const paraParCells =
  <DP>(M: Monoid<DP>) =>
  <P, X, Y, DY, DX>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    parts: ReadonlyArray<{ readonly cell: TwoCell<any, any, [P, readonly X[]], Y[], readonly DY[], [DP, DX[]]>; readonly inputs: number; readonly outputs: number }>,
  ): TwoCell<unknown[], unknown[], [P, readonly X[]], Y[], readonly DY[], [DP, DX[]]> => ({
    source: paraPars(M)(parts.map((p) => ({ para: p.cell.source, inputs: p.inputs, outputs: p.outputs }))),
    target: paraPars(M)(parts.map((p) => ({ para: p.cell.target, inputs: p.inputs, outputs: p.outputs }))),
    r: (ms) => ms.map((m, i) => parts[i]!.cell.r(m)),
  });

/**
 * An unparametrised optic as a stage of a shared-parameter composite: it reads no parameters and
 * its parameter cotangent is `M.empty`. (`liftPara` does the same with parameters `undefined`.)
 *
 * @example
 * ```ts
 * const both = paraSeqs(MonoidSum)(scale, constPara(MonoidSum)(sin));
 * ```
 */
export const constPara =
  <DP>(M: Monoid<DP>) =>
  <R, P, A, B, DB, DA>(o: Optic<R, A, B, DB, DA>): Para<R, P, A, B, DB, DP, DA> => ({
    fwd: ([, a]) => o.fwd(a),
    bwd: (m, db) => [M.empty, o.bwd(m, db)],
    get: ([, a]) => view(o)(a),
  });
