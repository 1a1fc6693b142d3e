import { describe, expect, it } from 'vitest';
import { jsBackend, jsKernels } from '../backends/js/index';
import { add, copy, permute, reshape } from '../backends/js/kernels/structural';

/**
 * The JS backend's own operations and its structural kernels, called directly with hand-worked
 * values: the laws reach them only inside whole programs, where a sum that drops a term or a
 * download that shares its buffer can hide behind other errors.
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
// The kernels read only these fields of a node.
const node = (attrs: unknown, inputs: number[][], outputs: number[][]) => ({ attrs, inputs, outputs }) as never;

describe('jsBackend', () => {
  it('names its precision: js (float32, the default) and js-f64', () => {
    expect([jsBackend().name, jsBackend().dtype, jsBackend('float64').name, jsBackend('float64').dtype]).toEqual(['js', 'float32', 'js-f64', 'float64']);
  });
  it('upload copies into its precision; download returns a copy the device does not share', () => {
    const be = jsBackend('float32');
    const host = t([2], [1.1, 2]);
    const dev = be.upload(host);
    host.data[0] = 9;
    expect(dev.data).toBeInstanceOf(Float32Array);
    expect([...dev.data]).toEqual([Math.fround(1.1), 2]);
    const back = be.download(dev);
    expect(back.shape).toEqual([2]);
    back.data[1] = 7;
    (back.shape as number[])[0] = 5;
    expect([...dev.data]).toEqual([Math.fround(1.1), 2]);
    expect(dev.shape).toEqual([2]);
    expect(be.shapeOf(dev)).toEqual([2]);
  });
  it('refuses two kernels for one primitive, naming the backend', () => {
    expect(() => jsBackend('float32', [...jsKernels, jsKernels[0]!])).toThrow("jsBackend: two kernels for primitive 'id'");
  });
  it('upload refuses data that is not a typed array, or of the wrong length, naming upload', () => {
    const be = jsBackend('float64');
    expect(() => be.upload({ shape: [2], data: [1, 2] as never })).toThrow("upload: expected a host tensor's data as a Float32Array or Float64Array, got object");
    expect(() => be.upload(t([3], [1, 2]))).toThrow('upload: shape [3] does not match 2 elements');
    expect(() => be.upload(undefined as never)).toThrow(/upload/);
  });
  it('zeros has its shape (a copy) and zeros; add is elementwise', () => {
    const be = jsBackend('float64');
    const shape = [2, 2];
    const z = be.zeros(shape);
    shape[0] = 3;
    expect(z.shape).toEqual([2, 2]);
    expect([...z.data]).toEqual([0, 0, 0, 0]);
    expect(() => be.zeros([-1])).toThrow(/zeros/);
    const s = be.add(t([3], [1, 2, 3]), t([3], [10, 20, 30]));
    expect(s.shape).toEqual([3]);
    expect([...s.data]).toEqual([11, 22, 33]);
  });
});

describe('structural kernels', () => {
  it("add sums its inputs; copy's backward sums the copies' gradients", () => {
    const y = add.forward(node({}, [[2], [2], [2]], [[2]]), {}, [t([2], [1, 2]), t([2], [10, 20]), t([2], [100, 200])]).outputs[0]!;
    expect([...y.data]).toEqual([111, 222]);
    const dx = copy.backward(node({}, [[2]], [[2], [2]]), {}, {}, [t([2], [1, 2]), t([2], [3, -5])]).dInputs[0]!;
    expect([...dx!.data]).toEqual([4, -3]);
  });
  it("permute's backward sends gradient i to input perm[i]; reshape keeps the data", () => {
    const d = permute.backward(node({ perm: [2, 0, 1] }, [[1], [1], [1]], [[1], [1], [1]]), {}, {}, [t([1], [5]), t([1], [6]), t([1], [7])]).dInputs;
    expect(d.length).toBe(3);
    expect(d.map((x) => x!.data[0])).toEqual([6, 7, 5]);
    const r = reshape.forward(node({ shape: [3, 1] }, [[1, 3]], [[3, 1]]), {}, [t([1, 3], [1, 2, 3])]).outputs[0]!;
    expect(r.shape).toEqual([3, 1]);
    expect([...r.data]).toEqual([1, 2, 3]);
  });
});
