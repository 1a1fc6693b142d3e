/**
 * The protobuf wire format, only as much as ONNX model files need: varints (including negative
 * int64 as ten-byte two's complement), 32- and 64-bit fixed fields, and length-delimited fields
 * (strings, bytes, packed arrays, nested messages). Hand-written so that the package needs no
 * protobuf runtime.
 *
 * @module
 */

/** Wire types of protobuf fields. */
export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** A malformed protobuf message: what was wrong and the byte offset where it was found. */
export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
  constructor(
    readonly where: string,
    readonly offset: number,
    message: string,
  ) {
    super(`${where}: ${message} (at byte ${offset})`);
  }
}

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder('utf-8', { fatal: true });

/** Appends fields to a growing byte buffer. Field order is the caller's, so output is deterministic. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** An unsigned varint of a non-negative safe integer, or any int64 given as a bigint. */
  varint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a safe integer`);
      if (v < 0) return this.varint(BigInt(v));
      while (v >= 0x80) {
        this.byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.byte(v);
      return;
    }
    // Negative int64s are written as their 64-bit two's complement (ten bytes), as protobuf does.
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
  }

  tag(field: number, wire: WireType): void {
    this.varint(field * 8 + wire);
  }

  /** A bytes field: tag, length, contents. */
  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, WireType.bytes);
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, utf8.encode(s));
  }

  /** An int64/int32/enum field (negative values as ten-byte varints). */
  intField(field: number, v: number): void {
    this.tag(field, WireType.varint);
    this.varint(v);
  }

  floatField(field: number, v: number): void {
    this.tag(field, WireType.fixed32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  /** A nested message written by `f` into a fresh writer. */
  messageField(field: number, f: (w: Writer) => void): void {
    const inner = new Writer();
    f(inner);
    this.bytesField(field, inner.finish());
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, vs: readonly number[]): void {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    this.bytesField(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, vs: readonly number[]): void {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytesField(field, b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One field as read: its number, wire type and raw value. */
export type Field =
  | { readonly field: number; readonly wire: 0; readonly value: bigint; readonly offset: number }
  | { readonly field: number; readonly wire: 1; readonly value: Uint8Array; readonly offset: number }
  | { readonly field: number; readonly wire: 2; readonly value: Uint8Array; readonly offset: number }
  | { readonly field: number; readonly wire: 5; readonly value: Uint8Array; readonly offset: number };

/** Read a varint at `pos`: its value (as an unsigned 64-bit bigint) and the next position. */
const readVarint = (b: Uint8Array, pos: number, where: string): [bigint, number] => {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw new ProtoDecodeError(where, pos, 'truncated varint');
    const x = b[pos++]!;
    v |= BigInt(x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [BigInt.asUintN(64, v), pos];
    shift += 7n;
  }
  throw new ProtoDecodeError(where, pos, 'varint longer than ten bytes');
};

/**
 * Split a message into its fields, in order. Fails with a {@link ProtoDecodeError} naming `where`
 * for truncated input, a field number 0, or a wire type ONNX never uses (groups).
 */
export const readFields = (b: Uint8Array, where: string): Field[] => {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const start = pos;
    const [key, p1] = readVarint(b, pos, where);
    pos = p1;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoDecodeError(where, start, 'field number 0');
    switch (wire) {
      case 0: {
        const [v, p2] = readVarint(b, pos, where);
        pos = p2;
        out.push({ field, wire: 0, value: v, offset: start });
        break;
      }
      case 1:
      case 5: {
        const n = wire === 1 ? 8 : 4;
        if (pos + n > b.length) throw new ProtoDecodeError(where, pos, `truncated ${n * 8}-bit field ${field}`);
        out.push({ field, wire, value: b.subarray(pos, pos + n), offset: start });
        pos += n;
        break;
      }
      case 2: {
        const [n64, p2] = readVarint(b, pos, where);
        const n = Number(n64);
        if (p2 + n > b.length) throw new ProtoDecodeError(where, p2, `field ${field} claims ${n} bytes, ${b.length - p2} remain`);
        out.push({ field, wire: 2, value: b.subarray(p2, p2 + n), offset: start });
        pos = p2 + n;
        break;
      }
      default:
        throw new ProtoDecodeError(where, start, `unsupported wire type ${wire} (field ${field})`);
    }
  }
  return out;
};

/** A varint field as a signed int64 in the safe-integer range. */
export const asInt = (f: Field, where: string): number => {
  if (f.wire !== 0) throw new ProtoDecodeError(where, f.offset, `field ${f.field}: expected a varint, got wire type ${f.wire}`);
  const v = BigInt.asIntN(64, f.value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
    throw new ProtoDecodeError(where, f.offset, `field ${f.field}: ${v} is outside the safe-integer range`);
  return Number(v);
};

export const asBytes = (f: Field, where: string): Uint8Array => {
  if (f.wire !== 2) throw new ProtoDecodeError(where, f.offset, `field ${f.field}: expected length-delimited data, got wire type ${f.wire}`);
  return f.value;
};

export const asString = (f: Field, where: string): string => {
  try {
    return utf8Decode.decode(asBytes(f, where));
  } catch (e) {
    if (e instanceof ProtoDecodeError) throw e;
    throw new ProtoDecodeError(where, f.offset, `field ${f.field}: invalid UTF-8`);
  }
};

export const asFloat = (f: Field, where: string): number => {
  if (f.wire !== 5) throw new ProtoDecodeError(where, f.offset, `field ${f.field}: expected a 32-bit float, got wire type ${f.wire}`);
  return new DataView(f.value.buffer, f.value.byteOffset, 4).getFloat32(0, true);
};

/** A repeated int64 field, packed (one bytes field) or not (one varint per element). */
export const asInts = (f: Field, where: string): number[] => {
  if (f.wire === 0) return [asInt(f, where)];
  const b = asBytes(f, where);
  const out: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [v, p] = readVarint(b, pos, where);
    pos = p;
    const s = BigInt.asIntN(64, v);
    if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < BigInt(Number.MIN_SAFE_INTEGER))
      throw new ProtoDecodeError(where, f.offset, `field ${f.field}: ${s} is outside the safe-integer range`);
    out.push(Number(s));
  }
  return out;
};

/** A repeated float field, packed or not. */
export const asFloats = (f: Field, where: string): number[] => {
  if (f.wire === 5) return [asFloat(f, where)];
  const b = asBytes(f, where);
  if (b.length % 4 !== 0) throw new ProtoDecodeError(where, f.offset, `field ${f.field}: packed floats of ${b.length} bytes`);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getFloat32(i * 4, true));
};
