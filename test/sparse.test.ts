import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness';
import { sbm, squareCounts, trainGcn } from '../examples/graph/graph';
import { fc, test as fcTest } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import {
  arbCsr,
  closedFormCounters,
  csrIdentical,
  measuredCounters,
  sparseCases,
  spgemmLaw,
  validationLaw,
  vjpMatchesFiniteDifferences,
  runCase,
  compareRuns,
  F32_TOL,
  identical,
} from '../laws/index';
import { dataflows } from '../src/sparse/spgemm';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import { wasmSpgemm } from '../backends/wasm/kernels/sparse';
import {
  checkOrThrow,
  check,
  csr,
  csrShape,
  decodeSpec,
  encodeSpec,
  erdosRenyi,
  fromDense,
  initParams,
  jsBackend,
  lowerOrThrow,
  packCsr,
  prim,
  seq,
  spgemm,
  toDense,
  unpackCsr,
  loadSpec,
  type Csr,
  type HostTensor,
  poisson2d,
  rmat,
  readMatrixMarket,
  validateCsr,
  nnzOf,
} from '../src/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');

const arbPair: fc.Arbitrary<[Csr, Csr]> = fc
  .record({ m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 9 }), da: fc.double({ min: 0.05, max: 1, noNaN: true }), db: fc.double({ min: 0.05, max: 1, noNaN: true }), seed: fc.nat() })
  .map(({ m, k, n, da, db, seed }) => [erdosRenyi(m, k, da, seed), erdosRenyi(k, n, db, seed + 1)]);

describe('spgemm dataflows', () => {
  fcTest.prop([arbPair], { numRuns: 60, seed: 20 })('all three are bit-identical and equal the dense product', ([a, b]) => {
    const r = spgemmLaw(a, b);
    expect(r.detail).toBe('');
  });

  const dense = (m: number, k: number, n: number): [Csr, Csr] => [erdosRenyi(m, k, 1, 1), erdosRenyi(k, n, 1, 2)];
  const eye = (n: number): Csr => fromDense(n, n, Float64Array.from({ length: n * n }, (_, p) => (p % (n + 1) === 0 ? 2 : 0)));
  for (const [name, [a, b], family] of [
    ['dense 4×3 · 3×5', dense(4, 3, 5), 'dense'],
    ['diagonal 6×6 · 6×6', [eye(6), eye(6)], 'diagonal'],
  ] as const)
    for (const d of ['inner', 'outer', 'rowwise-hash'] as const)
      it(`${d} counters on ${name} match the closed form`, () => {
        expect(measuredCounters(a, b, d)).toEqual(closedFormCounters(a, b, d, 8, family));
      });

  fcTest.prop([arbPair], { numRuns: 30, seed: 21 })('outer and rowwise-hash counters match the closed form on random inputs', ([a, b]) => {
    for (const d of ['outer', 'rowwise-hash'] as const) expect(measuredCounters(a, b, d)).toEqual(closedFormCounters(a, b, d, 8));
  });
});

describe('CSR validation', () => {
  fcTest.prop([arbCsr], { numRuns: 80, seed: 22 })('accepts valid matrices and rejects every corruption with a clear message', (a) => {
    expect(validationLaw(a).detail).toBe('');
  });

  it('names the wire and the problem when a packed input is malformed', () => {
    const a = csr(2, 2, [0, 1, 2], [1, 0], [1, 2]);
    expect(E.isRight(a)).toBe(true);
    const t = packCsr((a as E.Right<Csr>).right, 3, 'float64');
    t.data[3] = 1.5; // a column index slot
    expect(unpackCsr(t, 'spgemm at x, input 0 (A)')).toEqual(E.left('spgemm at x, input 0 (A): colIdx[0] = 1.5 is not an integer'));
    const m = checkOrThrow(prim('spgemm'), [csrShape(2, 2, 3), csrShape(2, 2, 4)]);
    const prog = lowerOrThrow(m, f64);
    expect(() => prog.forward({}, [t, packCsr((a as E.Right<Csr>).right, 4, 'float64')])).toThrow(/spgemm at <root>, input 0 \(A\): colIdx\[0\] = 1.5/);
  });
});

describe('sparse wires in the term language', () => {
  it('check derives the product bound and refuses CSR wires into dense primitives', () => {
    const m = checkOrThrow(prim('spgemm'), [csrShape(100, 50, 200), csrShape(50, 80, 300)]);
    // min(100·80, 200·min(80, 300), 300·min(100, 200))
    expect(m.root.outputs).toEqual([csrShape(100, 80, 8000)]);
    expect(checkOrThrow(prim('spgemm', { nnz: 900 }), [csrShape(100, 50, 200), csrShape(50, 80, 300)]).root.outputs).toEqual([csrShape(100, 80, 900)]);
    const bad = check(seq(prim('spmm'), prim('relu')), [csrShape(4, 4, 4), [4, 2]]);
    expect(E.isRight(bad)).toBe(true);
    const r = check(prim('relu'), [csrShape(4, 4, 4)]);
    expect(E.isLeft(r) && r.left.message).toMatch(/input 0 is a sparse wire csr\[4,4;nnz≤4\], but 'relu' takes dense wires only/);
    const mm = check(prim('spgemm'), [csrShape(4, 3, 4), csrShape(4, 4, 4)]);
    expect(E.isLeft(mm) && mm.left.message).toMatch(/A is 4 × 3 but B is 4 × 4: inner dimensions differ/);
  });

  it('a run whose product exceeds the declared bound is a clear error', () => {
    const a = erdosRenyi(5, 5, 1, 3);
    const prog = lowerOrThrow(checkOrThrow(prim('spgemm', { nnz: 10 }), [csrShape(5, 5, 25), csrShape(5, 5, 25)]), f64);
    expect(() => prog.forward({}, [packCsr(a, 25, 'float64'), packCsr(a, 25, 'float64')])).toThrow(/the product has 25 nonzeros, more than its bound 10/);
  });

  it('a spec with sparse wires round-trips through JSON and checks', () => {
    const doc = { catoptric: 1, name: 'two-hop', inputs: [{ csr: [6, 6], nnz: 36 }, [6, 2]], model: sparseCases.at(-1)!.term };
    const d = decodeSpec(JSON.parse(JSON.stringify(doc)));
    expect(E.isRight(d)).toBe(true);
    const spec = (d as E.Right<Parameters<typeof encodeSpec>[0]>).right;
    expect(spec.inputs[0]).toEqual(csrShape(6, 6, 36));
    expect(JSON.parse(JSON.stringify(encodeSpec(spec)))).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(E.isRight(loadSpec(JSON.stringify(doc)))).toBe(true);
    const wrong = loadSpec(JSON.stringify({ ...doc, inputs: [{ csr: [6, 6], nnz: 37 }, [6, 2]] }));
    expect(E.isLeft(wrong) && wrong.left[0]).toEqual({ path: ['inputs', 0, 'nnz'], message: 'expected a bound at most rows·cols = 36, got 37' });
  });
});

describe('sparse primitives on js', () => {
  for (const c of sparseCases)
    it(`${c.name}: backward equals finite differences over the values (float64)`, () => {
      const model = checkOrThrow(c.term, c.inputs);
      for (const seed of [1, 2]) {
        const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64), f64, initParams(model, seed, 'float64'), c.sample!(seed), seed);
        expect(rep.ok, rep.detail).toBe(true);
      }
    });

  for (const c of sparseCases)
    it(`${c.name}: float32 agrees with float64`, () => {
      for (const seed of [3, 4]) {
        const r = compareRuns(runCase(c, f32, seed), runCase(c, f64, seed), F32_TOL);
        expect(r.worst, r.where).toBeLessThanOrEqual(1);
      }
    });

  it('spgemm, spmm and sddmm on the lowered program equal the dense computation', () => {
    const a = erdosRenyi(7, 6, 0.4, 5), b = erdosRenyi(6, 4, 0.4, 6);
    const run = (term: ReturnType<typeof prim>, inputs: HostTensor[]) =>
      lowerOrThrow(checkOrThrow(term, inputs.map((x) => x.shape)), f64).forward({}, inputs).outputs[0]!;
    const c = unpackCsr(run(prim('spgemm'), [packCsr(a, 42, 'float64'), packCsr(b, 24, 'float64')]));
    expect(E.isRight(c) && csrIdentical(c.right, spgemm(a, b))).toBe(true);
    const x = Float64Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const da = toDense(a);
    const y = run(prim('spmm'), [packCsr(a, 42, 'float64'), { shape: [6, 4], data: x }]).data;
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 6; k++) s += da[i * 6 + k]! * x[k * 4 + j]!;
        expect(y[i * 4 + j]).toBeCloseTo(s, 12);
      }
    const u = Float64Array.from({ length: 7 * 3 }, (_, i) => Math.cos(i)), v = Float64Array.from({ length: 6 * 3 }, (_, i) => Math.sin(2 * i));
    const sd = unpackCsr(run(prim('sddmm'), [packCsr(a, 42, 'float64'), { shape: [7, 3], data: u }, { shape: [6, 3], data: v }]));
    expect(E.isRight(sd)).toBe(true);
    const sdd = toDense((sd as E.Right<Csr>).right);
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 6; j++) {
        let s = 0;
        for (let q = 0; q < 3; q++) s += u[i * 3 + q]! * v[j * 3 + q]!;
        expect(sdd[i * 6 + j]).toBeCloseTo(da[i * 6 + j]! * s, 12);
      }
  });
});

describe('sparse kernels on wasm', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });

  fcTest.prop([arbPair], { numRuns: 25, seed: 23 })('dataflows are bit-identical, counters match the closed form (f32 values)', ([a, b]) => {
    const rt = wasm.runtime;
    wasm.scope(() => {
      const A = packCsr(a, undefined, 'float32'), B = packCsr(b, undefined, 'float32');
      const bound = a.rows * b.cols;
      const outs = dataflows.map((d) => {
        const { c, counters } = wasmSpgemm(rt, wasm.upload(A), wasm.upload(B), d, bound);
        const a32 = E.getOrElseW(() => a)(unpackCsr(A)), b32 = E.getOrElseW(() => b)(unpackCsr(B));
        if (d !== 'inner') expect(counters).toEqual(closedFormCounters(a32, b32, d, 4));
        return wasm.download(c!);
      });
      expect(outs.every((o) => identical(o, outs[0]!))).toBe(true);
      // …and equal the JS float32 kernel's C.
      const js = spgemm(E.getOrElseW(() => a)(unpackCsr(A)), E.getOrElseW(() => b)(unpackCsr(B)));
      expect(identical(outs[0]!, packCsr(js, bound, 'float32'))).toBe(true);
    });
  });

  it('inner counters on a dense pattern match the closed form', () => {
    const [a, b] = [erdosRenyi(4, 3, 1, 1), erdosRenyi(3, 5, 1, 2)];
    wasm.scope(() => {
      const { counters } = wasmSpgemm(wasm.runtime, wasm.upload(packCsr(a, undefined, 'float32')), wasm.upload(packCsr(b, undefined, 'float32')), 'inner', 20);
      expect(counters).toEqual(closedFormCounters(a, b, 'inner', 4, 'dense'));
    });
  });

  it('a malformed packed input is a clear error before any Rust code reads it', () => {
    const t = packCsr(erdosRenyi(3, 3, 1, 4), 9, 'float32');
    t.data[4] = 7; // column index of row 0, entry 0, out of range
    const prog = lowerOrThrow(checkOrThrow(prim('spmm'), [csrShape(3, 3, 9), [3, 2]]), wasm);
    expect(() => wasm.scope(() => prog.forward({}, [wasm.upload(t), wasm.upload({ shape: [3, 2], data: new Float32Array(6) })]))).toThrow(
      /spmm at <root>, input 0 \(A\): row 0, entry 0: column index 7 is out of range \[0, 3\)/,
    );
  });
});

describe('a spec with sparse wires on the command line', () => {
  const file = 'examples/graph/spec/two-hop.json';
  it('check shows the CSR wire types and the spgemm bound', async () => {
    const r = await cli('check', file, '--json');
    expect(r.err).toBe('');
    const j = JSON.parse(r.out);
    expect(j.inputs).toEqual([csrShape(6, 6, 36), [6, 2]]);
    expect(j.outputs).toEqual([[6, 2], [6, 2]]);
    const text = await cli('check', file);
    expect(text.out).toMatch(/inputs +csr\[6,6;nnz≤36\] \[6,2\]/);
    expect(text.out).toMatch(/spgemm +rowwise-hash +csr\[6,6;nnz≤36\] csr\[6,6;nnz≤36\] +csr\[6,6;nnz≤36\]/);
  });
  it('diagram draws it, plan plans it', async () => {
    const d = await cli('diagram', file);
    expect(d.code).toBe(0);
    expect(d.out).toContain('csr[6,6;nnz≤36]');
    const p = await cli('plan', file, '--json');
    expect(p.code).toBe(0);
    const plan = JSON.parse(p.out);
    expect(plan.spec.peakBytes).toBeGreaterThan(0);
    // Keeping C's pattern costs its bound in memory and saves the symbolic phase: both are on the frontier.
    expect(plan.frontier.map((f: { plan: unknown }) => f.plan)).toEqual([{}, { variants: { '2.1': 'rowwise-hash:keep' } }]);
    expect(plan.frontier[1].peakBytes).toBeGreaterThan(plan.frontier[0].peakBytes);
  });
  it('a bad sparse input type is an error at its JSON path', async () => {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    doc.inputs[0] = { csr: [6], nnz: 3 };
    const r = loadSpec(JSON.stringify(doc));
    expect(E.isLeft(r) && r.left).toEqual([{ path: ['inputs', 0, 'csr'], message: 'expected [rows, cols] (two positive integers), got [6]' }]);
  });
});

describe('generators and the Matrix Market reader', () => {
  it('generators are seeded and give valid CSR of the promised structure', () => {
    const p = poisson2d(5);
    expect(E.isRight(validateCsr(p))).toBe(true);
    expect(nnzOf(p)).toBe(5 * 25 - 4 * 5); // 5 per row minus the missing boundary neighbours
    expect(toDense(p)[0]).toBe(4);
    const r1 = rmat(8, 4, 9), r2 = rmat(8, 4, 9);
    expect(csrIdentical(r1, r2)).toBe(true);
    expect(E.isRight(validateCsr(r1))).toBe(true);
    expect(r1.rows).toBe(256);
    // Power law: the busiest row holds far more than the mean.
    const deg = Array.from({ length: 256 }, (_, i) => r1.rowPtr[i + 1]! - r1.rowPtr[i]!);
    expect(Math.max(...deg)).toBeGreaterThan(5 * (nnzOf(r1) / 256));
    const er = erdosRenyi(400, 400, 0.02, 1);
    expect(E.isRight(validateCsr(er))).toBe(true);
    expect(Math.abs(nnzOf(er) - 3200) / 3200).toBeLessThan(0.1);
    expect(csrIdentical(er, erdosRenyi(400, 400, 0.02, 2))).toBe(false);
  });

  it('reads coordinate files (general, symmetric, pattern) and names the line of a bad entry', () => {
    const sym = '%%MatrixMarket matrix coordinate real symmetric\n% a comment\n3 3 3\n1 1 2.5\n3 1 -1\n2 2 4\n';
    const a = readMatrixMarket(sym, 'sym.mtx');
    expect(E.isRight(a) && Array.from(toDense(a.right))).toEqual([2.5, 0, -1, 0, 4, 0, -1, 0, 0]);
    const pat = readMatrixMarket('%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n', 'p.mtx');
    expect(E.isRight(pat) && Array.from(toDense(pat.right))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(readMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n', 'bad.mtx')).toEqual(
      E.left('bad.mtx:3: row index 3 is not an integer in [1, 2]'),
    );
    expect(readMatrixMarket('%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n', 'arr.mtx')).toEqual(
      E.left("arr.mtx:1: only 'coordinate' (sparse) storage is read, got 'array'"),
    );
    expect(readMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n', 'short.mtx')).toEqual(
      E.left('short.mtx:4: the size line promises 2 entries, the file has 1'),
    );
  });
});

describe('examples/graph', () => {
  it('both GCNs check, train a few steps with finite loss, and Â² by spgemm fits its declared bound', () => {
    const g = sbm({ n: 60, classes: 3, degreeIn: 2, degreeOut: 0.5, dim: 4, signal: 0.5, labelled: 3, seed: 1 });
    const sq = squareCounts(g);
    expect(sq.actual).toBeLessThanOrEqual(sq.staticBound);
    for (const which of ['1-hop', '2-hop'] as const) {
      const r = trainGcn(f32, g, which, { hidden: 4, steps: 3, lr: 0.01, seed: 1, nnz2: sq.actual });
      expect(Number.isFinite(r.finalLoss)).toBe(true);
      expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.plannedPeakBytes).toBeGreaterThan(0);
    }
    expect(() => trainGcn(f32, g, '2-hop', { hidden: 4, steps: 1, lr: 0.01, seed: 1, nnz2: sq.actual - 1 })).toThrow(/more than its bound/);
  });
});
