import type { Backend, Params, Residual } from '../backend/backend';
import type { LensForm } from '../optic/checkpoint';
import { recompute } from '../optic/optic';
import type { Optic } from '../optic/optic';
import type { TypedPrim } from '../term/check';
import { sizeOf } from '../tensor/shape';
import type { Instrument, NodeOptic } from './instrument';
import type { KernelResidual } from './kernel-optic';
import { type Program, bytesPerElem, lowerPlanned } from './program';

/** What a meter counts: stored residual entries, forward wires, backward (gradient) wires. */
export type MemoryKind = 'residual' | 'activation' | 'gradient';

/**
 * The memory accounting of a running program (and, in `src/plan/memory.ts`, of its prediction).
 *
 * Accounting rules, the same for the measurement here and the prediction by `simulate`:
 * - Counted: every residual *entry* the program holds (a primitive's residual tensors, the inputs a lens
 *   node or a checkpointed segment keeps), every forward *wire* (activation) and every backward wire
 *   (gradient) alive between boxes. Not counted: parameters and parameter gradients (fixed by the model,
 *   not by the plan), and temporaries inside a kernel call.
 * - Counting is per entry and per wire, by shape: a tensor on two wires (after `copy`), or held by two
 *   residual entries, is counted twice. So the numbers depend only on shapes and the plan, never on how a
 *   backend aliases memory.
 * - A primitive's call: its outputs (and, if it stores, its residual) are added, then its inputs dropped,
 *   so the peak includes inputs and outputs of the box being run. Backward likewise: input gradients
 *   added, then output gradients and the residual entry dropped. A `null` gradient is not a tensor; when a
 *   node turns it into zeros before its backward pass, the zeros are counted.
 * - The model's inputs are live when forward starts and its outputs are handed back (dropped) when it ends;
 *   the residual stays live until backward consumes it; output gradients are live when backward starts and
 *   input gradients are handed back when it ends. A full forward + backward returns `live` to zero.
 */
export class MemoryMeter {
  /** Bytes currently held, by kind. */
  readonly live: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  /** Highest total of `live` seen. */
  peak = 0;
  /** `live` at the moment of the peak. */
  peakLive: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  /** Forward flops run (first sweep and recomputation), backward flops run; from each primitive's `cost`. */
  readonly flops = { forward: 0, backward: 0 };
  /** How many times each primitive (by path key) ran forward. */
  readonly forwardCalls = new Map<string, number>();
  /** Largest number of checkpoint entries (lens inputs, schedule segments) held at once. */
  maxCheckpoints = 0;
  checkpoints = 0;
  constructor(readonly bytesPerElem: number) {}
  get total(): number {
    return this.live.residual + this.live.activation + this.live.gradient;
  }
  alloc(kind: MemoryKind, elems: number): void {
    this.live[kind] += elems * this.bytesPerElem;
    const t = this.total;
    if (t > this.peak) {
      this.peak = t;
      this.peakLive = { ...this.live };
    }
  }
  free(kind: MemoryKind, elems: number): void {
    this.live[kind] -= elems * this.bytesPerElem;
  }
}

/**
 * The instrument that meters a run: every primitive's optic, the lens form and the zero cotangents are
 * wrapped so that the meter sees each residual entry and wire come and go. The interpreter is untouched;
 * this is the plain lowering with three optic transformers swapped.
 */
export const meteredInstrument = <T>(backend: Backend<T>, meter: MemoryMeter): Instrument<T> => {
  const elems = (ts: readonly (T | null)[]): number => ts.reduce((s, t) => s + (t === null ? 0 : sizeOf(backend.shapeOf(t))), 0);
  const entryElems = (r: Residual<T>): number => Object.values(r).reduce((s, t) => s + sizeOf(backend.shapeOf(t)), 0);
  const leaf = (node: TypedPrim, o: NodeOptic<T>): NodeOptic<T> => {
    const key = node.path.join('.');
    const ran = (inputs: readonly T[], outputs: readonly T[], kept: Residual<T> | null) => {
      meter.flops.forward += node.cost.fwdFlops;
      meter.forwardCalls.set(key, (meter.forwardCalls.get(key) ?? 0) + 1);
      meter.alloc('activation', elems(outputs));
      if (kept) meter.alloc('residual', entryElems(kept));
      meter.free('activation', elems(inputs));
    };
    return {
      fwd: (pa) => {
        const r = o.fwd(pa);
        const [, k] = r[0] as [unknown, KernelResidual<T>];
        ran(pa[1], r[1], k.kept);
        return r;
      },
      get: (pa) => {
        const ys = o.get ? o.get(pa) : o.fwd(pa)[1];
        ran(pa[1], ys, null);
        return ys;
      },
      bwd: (m, dys) => {
        const r = o.bwd(m, dys);
        const [, k] = m as [unknown, KernelResidual<T>];
        meter.flops.backward += node.cost.bwdFlops;
        meter.alloc('gradient', elems(r[1]));
        meter.free('gradient', elems(dys));
        meter.free('residual', entryElems(k.kept));
        return r;
      },
    };
  };
  // The lens form, instrumented: keeping the input is a checkpoint entry; taking it back puts it on the
  // wires; the outputs of the re-run forward are dropped (only its residual is needed).
  const lensForm = (<Mr, A, B, DB, DA>(o: Optic<Mr, A, B, DB, DA>): Optic<A, A, B, DB, DA> => {
    const wiresOf = (a: A): number => elems((a as unknown as [Params<T>, readonly T[]])[1]);
    const rerun: Optic<Mr, A, B, DB, DA> = {
      fwd: (a) => {
        const r = o.fwd(a);
        meter.free('activation', elems(r[1] as unknown as readonly T[]));
        return r;
      },
      bwd: o.bwd,
      ...(o.get ? { get: o.get } : {}),
    };
    const rc = recompute(rerun);
    return {
      fwd: (a) => {
        meter.alloc('residual', wiresOf(a));
        meter.checkpoints++;
        meter.maxCheckpoints = Math.max(meter.maxCheckpoints, meter.checkpoints);
        return rc.fwd(a);
      },
      get: rc.get!,
      bwd: (a, db) => {
        meter.free('residual', wiresOf(a));
        meter.checkpoints--;
        meter.alloc('activation', wiresOf(a));
        return rc.bwd(a, db);
      },
    };
  }) as LensForm;
  const zeros = (shape: readonly number[]): T => {
    meter.alloc('gradient', sizeOf(shape));
    return backend.zeros(shape);
  };
  return { leaf, lensForm, zeros };
};

/**
 * Run forward then backward of a program's term under its plan with a fresh `MemoryMeter` (outputs handed
 * back in between), and return the meter: the measured peak bytes, flops and forward calls of one
 * training step. The program is lowered again with the metering instrument.
 */
export const measureRun = <T>(
  program: Program<T>,
  backend: Backend<T>,
  params: Params<T>,
  inputs: readonly T[],
  dOutputs: readonly T[],
): { meter: MemoryMeter; outputs: T[]; dInputs: (T | null)[]; dParams: Record<string, T> } => {
  const meter = new MemoryMeter(bytesPerElem(backend.dtype));
  const lowered = lowerPlanned(program.planned, backend, meteredInstrument(backend, meter));
  if (lowered._tag === 'Left') throw lowered.left;
  const prog = lowered.right;
  const wires = (ts: readonly (T | null)[]) => ts.reduce((s, t) => s + (t === null ? 0 : sizeOf(backend.shapeOf(t))), 0);
  meter.alloc('activation', wires(inputs));
  const { outputs, residual } = prog.forward(params, inputs);
  meter.free('activation', wires(outputs));
  meter.alloc('gradient', wires(dOutputs));
  const { dInputs, dParams } = prog.backward(residual, dOutputs);
  meter.free('gradient', wires(dInputs));
  return { meter, outputs, dInputs, dParams };
};
