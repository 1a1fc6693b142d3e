/**
 * The subset of the ONNX protobuf schema (onnx.proto) that model files written here use, as plain
 * TypeScript values, with an encoder and a decoder. Field numbers follow onnx.proto. Tensors are
 * always written with `raw_data` (little-endian), and fields in a fixed order, so the same model
 * gives the same bytes. The decoder also accepts the typed data fields other writers use and skips
 * fields it does not know.
 *
 * @module
 */
import {
  type Field,
  ProtoDecodeError,
  Writer,
  asBytes,
  asFloat,
  asFloats,
  asInt,
  asInts,
  asString,
  readFields,
} from './wire';

/** ONNX element types used here (TensorProto.DataType). */
export const DataType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, double: 11 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

const BYTES_PER: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 };

/** Bytes per element of an ONNX element type, or undefined for a type this module does not handle. */
export const bytesPerElement = (t: number): number | undefined => BYTES_PER[t];

/** A tensor value (an initializer or a tensor attribute): row-major, little-endian raw bytes. */
export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: DataType;
  readonly raw: Uint8Array;
}

/** One attribute of a node. */
export type AttributeProto =
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'int'; readonly value: number }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'tensor'; readonly value: TensorProto }
  | { readonly name: string; readonly type: 'graph'; readonly value: GraphProto }
  | { readonly name: string; readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'strings'; readonly value: readonly string[] };

export interface NodeProto {
  readonly name: string;
  readonly opType: string;
  /** Operator set domain; '' is the default ai.onnx domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly AttributeProto[];
}

/** A graph input or output: a name, an element type and a shape (a string is a symbolic dimension). */
export interface ValueInfoProto {
  readonly name: string;
  readonly elemType: DataType;
  readonly shape: readonly (number | string)[];
}

export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  readonly valueInfo: readonly ValueInfoProto[];
  readonly docString: string;
}

export interface OpsetId {
  readonly domain: string;
  readonly version: number;
}

export interface ModelProto {
  readonly irVersion: number;
  readonly opsets: readonly OpsetId[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly graph: GraphProto;
  /** `metadata_props`: key/value strings, in order. */
  readonly metadata: readonly { readonly key: string; readonly value: string }[];
}

// --- encoding -------------------------------------------------------------------------------

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

const writeTensor = (w: Writer, t: TensorProto): void => {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.intField(2, t.dataType);
  if (t.name) w.stringField(8, t.name);
  w.bytesField(9, t.raw);
};

const writeValueInfo = (w: Writer, v: ValueInfoProto): void => {
  w.stringField(1, v.name);
  w.messageField(2, (tp) =>
    tp.messageField(1, (tt) => {
      tt.intField(1, v.elemType);
      tt.messageField(2, (sh) => {
        for (const d of v.shape) sh.messageField(1, (dim) => (typeof d === 'number' ? dim.intField(1, d) : dim.stringField(2, d)));
      });
    }),
  );
};

const writeAttribute = (w: Writer, a: AttributeProto): void => {
  w.stringField(1, a.name);
  switch (a.type) {
    case 'float':
      w.floatField(2, a.value);
      break;
    case 'int':
      w.intField(3, a.value);
      break;
    case 'string':
      w.stringField(4, a.value);
      break;
    case 'tensor':
      w.messageField(5, (t) => writeTensor(t, a.value));
      break;
    case 'graph':
      w.messageField(6, (g) => writeGraph(g, a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.stringField(9, s);
      break;
  }
  w.intField(20, ATTR_TYPE[a.type]);
};

const writeNode = (w: Writer, n: NodeProto): void => {
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes) w.messageField(5, (x) => writeAttribute(x, a));
  if (n.domain) w.stringField(7, n.domain);
};

const writeGraph = (w: Writer, g: GraphProto): void => {
  for (const n of g.nodes) w.messageField(1, (x) => writeNode(x, n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, (x) => writeTensor(x, t));
  if (g.docString) w.stringField(10, g.docString);
  for (const v of g.inputs) w.messageField(11, (x) => writeValueInfo(x, v));
  for (const v of g.outputs) w.messageField(12, (x) => writeValueInfo(x, v));
  for (const v of g.valueInfo) w.messageField(13, (x) => writeValueInfo(x, v));
};

/**
 * Serialise a model to ONNX protobuf bytes. Deterministic: the same value gives the same bytes.
 *
 * @example
 * const bytes = encodeOnnxModel(model); // write to forward.onnx, or pass to InferenceSession.create
 */
export const encodeOnnxModel = (m: ModelProto): Uint8Array => {
  const w = new Writer();
  w.intField(1, m.irVersion);
  w.stringField(2, m.producerName);
  if (m.producerVersion) w.stringField(3, m.producerVersion);
  if (m.docString) w.stringField(6, m.docString);
  w.messageField(7, (g) => writeGraph(g, m.graph));
  for (const o of m.opsets)
    w.messageField(8, (x) => {
      if (o.domain) x.stringField(1, o.domain);
      x.intField(2, o.version);
    });
  for (const { key, value } of m.metadata)
    w.messageField(14, (x) => {
      x.stringField(1, key);
      x.stringField(2, value);
    });
  return w.finish();
};

// --- decoding -------------------------------------------------------------------------------

const concatBytes = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const readTensor = (b: Uint8Array, where: string): TensorProto => {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const int64s: number[] = [];
  const int32s: number[] = [];
  const doubles: Uint8Array[] = [];
  for (const f of readFields(b, where)) {
    switch (f.field) {
      case 1:
        dims.push(...asInts(f, `${where}.dims`));
        break;
      case 2:
        dataType = asInt(f, `${where}.data_type`);
        break;
      case 4:
        floats.push(...asFloats(f, `${where}.float_data`));
        break;
      case 5:
        int32s.push(...asInts(f, `${where}.int32_data`));
        break;
      case 7:
        int64s.push(...asInts(f, `${where}.int64_data`));
        break;
      case 8:
        name = asString(f, `${where}.name`);
        break;
      case 9:
        raw = asBytes(f, `${where}.raw_data`).slice();
        break;
      case 10:
        doubles.push(f.wire === 1 ? f.value : asBytes(f, `${where}.double_data`));
        break;
      default:
        break;
    }
  }
  const per = BYTES_PER[dataType];
  if (per === undefined) throw new ProtoDecodeError(where, 0, `tensor '${name}': unsupported data type ${dataType}`);
  if (!raw) {
    // Typed fields: re-encode as little-endian raw bytes, the one form this module keeps.
    if (dataType === DataType.float) {
      raw = new Uint8Array(floats.length * 4);
      const dv = new DataView(raw.buffer);
      floats.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    } else if (dataType === DataType.int64) {
      raw = new Uint8Array(int64s.length * 8);
      const dv = new DataView(raw.buffer);
      int64s.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    } else if (dataType === DataType.double) raw = concatBytes(doubles);
    else {
      raw = new Uint8Array(int32s.length * per);
      const dv = new DataView(raw.buffer);
      int32s.forEach((v, i) => (per === 4 ? dv.setInt32(i * 4, v, true) : dv.setUint8(i, v & 0xff)));
    }
  }
  const n = dims.reduce((a, d) => a * d, 1);
  if (raw.length !== n * per) throw new ProtoDecodeError(where, 0, `tensor '${name}': dims [${dims.join(',')}] need ${n * per} bytes, got ${raw.length}`);
  return { name, dims, dataType: dataType as DataType, raw };
};

const readValueInfo = (b: Uint8Array, where: string): ValueInfoProto => {
  let name = '';
  let elemType = 0;
  const shape: (number | string)[] = [];
  for (const f of readFields(b, where)) {
    if (f.field === 1) name = asString(f, `${where}.name`);
    else if (f.field === 2) {
      for (const t of readFields(asBytes(f, `${where}.type`), `${where}.type`)) {
        if (t.field !== 1) throw new ProtoDecodeError(`${where}.type`, t.offset, `value '${name}': only tensor types are supported (TypeProto field ${t.field})`);
        for (const tt of readFields(asBytes(t, `${where}.type.tensor_type`), `${where}.type.tensor_type`)) {
          if (tt.field === 1) elemType = asInt(tt, `${where}.elem_type`);
          else if (tt.field === 2)
            for (const d of readFields(asBytes(tt, `${where}.shape`), `${where}.shape`)) {
              if (d.field !== 1) continue;
              let dim: number | string = '';
              for (const x of readFields(asBytes(d, `${where}.shape.dim`), `${where}.shape.dim`)) {
                if (x.field === 1) dim = asInt(x, `${where}.shape.dim.dim_value`);
                else if (x.field === 2) dim = asString(x, `${where}.shape.dim.dim_param`);
              }
              shape.push(dim);
            }
        }
      }
    }
  }
  if (BYTES_PER[elemType] === undefined) throw new ProtoDecodeError(where, 0, `value '${name}': unsupported element type ${elemType}`);
  return { name, elemType: elemType as DataType, shape };
};

const ATTR_NAME: Record<number, AttributeProto['type']> = { 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings' };

const readAttribute = (b: Uint8Array, where: string): AttributeProto => {
  let name = '';
  let type = 0;
  const fs = readFields(b, where);
  for (const f of fs) {
    if (f.field === 1) name = asString(f, `${where}.name`);
    else if (f.field === 20) type = asInt(f, `${where}.type`);
  }
  const at = `${where}(${name})`;
  const kind = ATTR_NAME[type];
  if (!kind) throw new ProtoDecodeError(at, 0, `unsupported attribute type ${type}`);
  const of = (n: number): Field[] => fs.filter((f) => f.field === n);
  const one = (n: number): Field => {
    const xs = of(n);
    if (xs.length === 0) throw new ProtoDecodeError(at, 0, `attribute of type ${kind} has no value (field ${n})`);
    return xs[xs.length - 1]!;
  };
  switch (kind) {
    case 'float':
      return { name, type: kind, value: asFloat(one(2), at) };
    case 'int':
      return { name, type: kind, value: asInt(one(3), at) };
    case 'string':
      return { name, type: kind, value: asString(one(4), at) };
    case 'tensor':
      return { name, type: kind, value: readTensor(asBytes(one(5), at), `${at}.t`) };
    case 'graph':
      return { name, type: kind, value: readGraph(asBytes(one(6), at), `${at}.g`) };
    case 'floats':
      return { name, type: kind, value: of(7).flatMap((f) => asFloats(f, at)) };
    case 'ints':
      return { name, type: kind, value: of(8).flatMap((f) => asInts(f, at)) };
    case 'strings':
      return { name, type: kind, value: of(9).map((f) => asString(f, at)) };
  }
};

const readNode = (b: Uint8Array, where: string): NodeProto => {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: AttributeProto[] = [];
  let name = '';
  let opType = '';
  let domain = '';
  for (const f of readFields(b, where)) {
    switch (f.field) {
      case 1:
        inputs.push(asString(f, `${where}.input`));
        break;
      case 2:
        outputs.push(asString(f, `${where}.output`));
        break;
      case 3:
        name = asString(f, `${where}.name`);
        break;
      case 4:
        opType = asString(f, `${where}.op_type`);
        break;
      case 5:
        attributes.push(readAttribute(asBytes(f, `${where}.attribute`), `${where}.attribute`));
        break;
      case 7:
        domain = asString(f, `${where}.domain`);
        break;
      default:
        break;
    }
  }
  return { name, opType, domain, inputs, outputs, attributes };
};

const readGraph = (b: Uint8Array, where: string): GraphProto => {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const inputs: ValueInfoProto[] = [];
  const outputs: ValueInfoProto[] = [];
  const valueInfo: ValueInfoProto[] = [];
  let name = '';
  let docString = '';
  for (const f of readFields(b, where)) {
    switch (f.field) {
      case 1:
        nodes.push(readNode(asBytes(f, where), `${where}.node[${nodes.length}]`));
        break;
      case 2:
        name = asString(f, `${where}.name`);
        break;
      case 5:
        initializers.push(readTensor(asBytes(f, where), `${where}.initializer[${initializers.length}]`));
        break;
      case 10:
        docString = asString(f, `${where}.doc_string`);
        break;
      case 11:
        inputs.push(readValueInfo(asBytes(f, where), `${where}.input[${inputs.length}]`));
        break;
      case 12:
        outputs.push(readValueInfo(asBytes(f, where), `${where}.output[${outputs.length}]`));
        break;
      case 13:
        valueInfo.push(readValueInfo(asBytes(f, where), `${where}.value_info[${valueInfo.length}]`));
        break;
      default:
        break;
    }
  }
  return { name, nodes, initializers, inputs, outputs, valueInfo, docString };
};

/**
 * Parse ONNX protobuf bytes into a {@link ModelProto}. Fails with a `ProtoDecodeError` naming the
 * message path (`model.graph.node[3].attribute(axis)`) and byte offset for malformed input or a
 * construct outside the subset (non-tensor types, unsupported element types).
 */
export const decodeOnnxModel = (bytes: Uint8Array): ModelProto => {
  let irVersion = 0;
  let producerName = '';
  let producerVersion = '';
  let docString = '';
  let graph: GraphProto | undefined;
  const opsets: OpsetId[] = [];
  const metadata: { key: string; value: string }[] = [];
  for (const f of readFields(bytes, 'model')) {
    switch (f.field) {
      case 1:
        irVersion = asInt(f, 'model.ir_version');
        break;
      case 2:
        producerName = asString(f, 'model.producer_name');
        break;
      case 3:
        producerVersion = asString(f, 'model.producer_version');
        break;
      case 6:
        docString = asString(f, 'model.doc_string');
        break;
      case 7:
        graph = readGraph(asBytes(f, 'model.graph'), 'model.graph');
        break;
      case 8: {
        let domain = '';
        let version = 0;
        for (const x of readFields(asBytes(f, 'model.opset_import'), 'model.opset_import')) {
          if (x.field === 1) domain = asString(x, 'model.opset_import.domain');
          else if (x.field === 2) version = asInt(x, 'model.opset_import.version');
        }
        opsets.push({ domain, version });
        break;
      }
      case 14: {
        let key = '';
        let value = '';
        for (const x of readFields(asBytes(f, 'model.metadata_props'), 'model.metadata_props')) {
          if (x.field === 1) key = asString(x, 'model.metadata_props.key');
          else if (x.field === 2) value = asString(x, 'model.metadata_props.value');
        }
        metadata.push({ key, value });
        break;
      }
      default:
        break;
    }
  }
  if (!graph) throw new ProtoDecodeError('model', bytes.length, 'no graph (field 7)');
  return { irVersion, opsets, producerName, producerVersion, docString, graph, metadata };
};
