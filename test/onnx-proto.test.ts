import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type TensorProto,
  type ValueInfoProto,
  DataType,
  decodeOnnxModel,
  encodeOnnxModel,
} from '../src/onnx/proto';
import { ProtoDecodeError, Writer, readFields } from '../src/onnx/wire';
import { loadOrt } from '../src/onnx/runtime';

const name = fc.string({ maxLength: 8 });
const f32 = fc.float({ noNaN: true }).map(Math.fround);
const int64 = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

const tensor: fc.Arbitrary<TensorProto> = fc
  .record({ name, dims: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), dataType: fc.constantFrom(DataType.float, DataType.int64, DataType.double, DataType.bool) })
  .chain(({ name, dims, dataType }) => {
    const per = dataType === DataType.bool ? 1 : dataType === DataType.float ? 4 : 8;
    const n = dims.reduce((a, d) => a * d, 1) * per;
    return fc.uint8Array({ minLength: n, maxLength: n }).map((raw) => ({ name, dims, dataType, raw }));
  });

const valueInfo: fc.Arbitrary<ValueInfoProto> = fc.record({
  name,
  elemType: fc.constantFrom(DataType.float, DataType.int64),
  shape: fc.array(fc.oneof(fc.nat(1000), fc.string({ minLength: 1, maxLength: 4 })), { maxLength: 4 }),
});

const { graph } = fc.letrec<{ graph: GraphProto; attr: AttributeProto }>((tie) => ({
  attr: fc.oneof(
    { depthSize: 'small' },
    fc.record({ name, type: fc.constant('float' as const), value: f32 }),
    fc.record({ name, type: fc.constant('int' as const), value: int64 }),
    fc.record({ name, type: fc.constant('string' as const), value: fc.string({ maxLength: 6 }) }),
    fc.record({ name, type: fc.constant('tensor' as const), value: tensor }),
    fc.record({ name, type: fc.constant('floats' as const), value: fc.array(f32, { maxLength: 4 }) }),
    fc.record({ name, type: fc.constant('ints' as const), value: fc.array(int64, { maxLength: 4 }) }),
    fc.record({ name, type: fc.constant('strings' as const), value: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }) }),
    fc.record({ name, type: fc.constant('graph' as const), value: tie('graph') as fc.Arbitrary<GraphProto> }),
  ) as fc.Arbitrary<AttributeProto>,
  graph: fc.record({
    name,
    nodes: fc.array(
      fc.record({
        name,
        opType: fc.string({ minLength: 1, maxLength: 6 }),
        domain: fc.constantFrom('', 'com.example'),
        inputs: fc.array(name, { maxLength: 3 }),
        outputs: fc.array(name, { maxLength: 2 }),
        attributes: fc.array(tie('attr') as fc.Arbitrary<AttributeProto>, { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
    initializers: fc.array(tensor, { maxLength: 2 }),
    inputs: fc.array(valueInfo, { maxLength: 3 }),
    outputs: fc.array(valueInfo, { maxLength: 3 }),
    valueInfo: fc.array(valueInfo, { maxLength: 2 }),
    docString: fc.string({ maxLength: 5 }),
  }),
}));

const model: fc.Arbitrary<ModelProto> = fc.record({
  irVersion: fc.integer({ min: 1, max: 12 }),
  opsets: fc.array(fc.record({ domain: fc.constantFrom('', 'ai.onnx.ml'), version: fc.integer({ min: 1, max: 26 }) }), { minLength: 1, maxLength: 2 }),
  producerName: name,
  producerVersion: name,
  docString: name,
  graph,
  metadata: fc.array(fc.record({ key: name, value: name }), { maxLength: 2 }),
});

describe('ONNX protobuf subset', () => {
  test.prop([model], { numRuns: 60 })('decode(encode(m)) = m', (m) => {
    expect(decodeOnnxModel(encodeOnnxModel(m))).toEqual(m);
  });

  test.prop([model], { numRuns: 30 })('encoding is deterministic and decodes to bytes that re-encode identically', (m) => {
    const a = encodeOnnxModel(m);
    expect(encodeOnnxModel(m)).toEqual(a);
    expect(encodeOnnxModel(decodeOnnxModel(a))).toEqual(a);
  });

  it('writes negative int64 attributes as ten-byte varints and reads them back', () => {
    const w = new Writer();
    w.intField(3, -1);
    const b = w.finish();
    expect(b.length).toBe(11);
    const [f] = readFields(b, 'x');
    expect(f!.wire).toBe(0);
  });

  it('rejects truncated input with the message path and offset', () => {
    const m: ModelProto = {
      irVersion: 10,
      opsets: [{ domain: '', version: 21 }],
      producerName: 'catoptric',
      producerVersion: '',
      docString: '',
      metadata: [],
      graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], docString: '' },
    };
    const b = encodeOnnxModel(m);
    expect(() => decodeOnnxModel(b.subarray(0, b.length - 3))).toThrow(ProtoDecodeError);
    expect(() => decodeOnnxModel(b.subarray(0, b.length - 3))).toThrow(/model.*byte/);
  });

  it('reads typed float_data as other writers write it', () => {
    // TensorProto{dims: [2], data_type: FLOAT, float_data: [1.5, -2]} inside an attribute inside a node.
    const t = new Writer();
    t.packedInts(1, [2]);
    t.intField(2, DataType.float);
    t.packedFloats(4, [1.5, -2]);
    const a = new Writer();
    a.stringField(1, 'value');
    a.bytesField(5, t.finish());
    a.intField(20, 4);
    const n = new Writer();
    n.stringField(2, 'c');
    n.stringField(4, 'Constant');
    n.bytesField(5, a.finish());
    const g = new Writer();
    g.bytesField(1, n.finish());
    const mw = new Writer();
    mw.intField(1, 10);
    mw.bytesField(7, g.finish());
    const m = decodeOnnxModel(mw.finish());
    const attr = m.graph.nodes[0]!.attributes[0]!;
    expect(attr.type).toBe('tensor');
    const raw = (attr.value as TensorProto).raw;
    expect(Array.from(new Float32Array(raw.buffer, raw.byteOffset, 2))).toEqual([1.5, -2]);
  });
});

describe('ONNX Runtime loads what the writer writes', async () => {
  const ort = await loadOrt();
  const reason = ort instanceof Error ? ort.message : '';
  it.skipIf(ort instanceof Error)(`a graph with an initializer, int and float attributes runs${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    if (ort instanceof Error) return;
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const m: ModelProto = {
      irVersion: 10,
      opsets: [{ domain: '', version: 21 }],
      producerName: 'catoptric-test',
      producerVersion: '0',
      docString: '',
      metadata: [{ key: 'k', value: 'v' }],
      graph: {
        name: 'g',
        docString: '',
        initializers: [{ name: 'w', dims: [3, 2], dataType: DataType.float, raw: new Uint8Array(w.buffer) }],
        inputs: [{ name: 'x', elemType: DataType.float, shape: ['batch', 3] }],
        outputs: [{ name: 'y', elemType: DataType.float, shape: ['batch', 2] }],
        valueInfo: [],
        nodes: [
          { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['xw'], attributes: [] },
          { name: 'lr', opType: 'LeakyRelu', domain: '', inputs: ['xw'], outputs: ['l'], attributes: [{ name: 'alpha', type: 'float', value: 0.25 }] },
          { name: 'sm', opType: 'Softmax', domain: '', inputs: ['l'], outputs: ['y'], attributes: [{ name: 'axis', type: 'int', value: -1 }] },
        ],
      },
    };
    const session = await ort.InferenceSession.create(encodeOnnxModel(m));
    const x = new Float32Array([1, 0, -1, -0.5, 0.5, -0.5]);
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, 3]) });
    const y = out.y!.data as Float32Array;
    // Reference: softmax(leakyRelu(x w, 0.25)) by hand (row 0 of x w is negative, so alpha matters).
    for (let r = 0; r < 2; r++) {
      const z = [0, 1].map((j) => [0, 1, 2].reduce((s, i) => s + x[r * 3 + i]! * w[i * 2 + j]!, 0)).map((v) => (v < 0 ? 0.25 * v : v));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const s = e[0]! + e[1]!;
      expect(y[r * 2]).toBeCloseTo(e[0]! / s, 6);
      expect(y[r * 2 + 1]).toBeCloseTo(e[1]! / s, 6);
    }
    await session.release();
  });
});
