/**
 * NumPy's array files: `.npy` (one array: a magic string, a header that is a Python dict literal, the
 * raw elements) and `.npz` (a zip of `.npy` files, stored by `np.savez` or deflated by
 * `np.savez_compressed`). Reading takes what numpy writes: little- or big-endian floats (16, 32, 64
 * bit), integers, booleans, C or Fortran order, zip64 entries. Every problem is an {@link NpyError}
 * saying which array and what was found. Writing produces `.npy` v1.0 and stored `.npz` files, which
 * `np.load` reads.
 *
 * (npm's `npyjs` reads `.npy` only; `.npz` needs a zip reader anyway, so both live here, small.)
 */
import { inflateRawSync } from 'node:zlib';

/** An array read from a file: row-major numbers (as float64) and a shape. */
export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A problem with an array file, naming the array. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse the header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
const parseHeader = (h: string, what: string): { descr: string; fortran: boolean; shape: number[] } => {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(h)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(h)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new NpyError(`${what}: not a .npy header (expected 'descr', 'fortran_order' and 'shape'), got ${JSON.stringify(h.slice(0, 80))}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError(`${what}: bad shape (${shapeText})`);
  return { descr, fortran: fortran === 'True', shape };
};

type Reader = (v: DataView, off: number, little: boolean) => number;
const READERS: Record<string, [number, Reader]> = {
  f2: [2, (v, o, l) => half(v.getUint16(o, l))],
  f4: [4, (v, o, l) => v.getFloat32(o, l)],
  f8: [8, (v, o, l) => v.getFloat64(o, l)],
  i1: [1, (v, o) => v.getInt8(o)],
  i2: [2, (v, o, l) => v.getInt16(o, l)],
  i4: [4, (v, o, l) => v.getInt32(o, l)],
  i8: [8, (v, o, l) => Number(v.getBigInt64(o, l))],
  u1: [1, (v, o) => v.getUint8(o)],
  u2: [2, (v, o, l) => v.getUint16(o, l)],
  u4: [4, (v, o, l) => v.getUint32(o, l)],
  u8: [8, (v, o, l) => Number(v.getBigUint64(o, l))],
  b1: [1, (v, o) => (v.getUint8(o) ? 1 : 0)],
};

/** IEEE half precision to a number. */
const half = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
};

/** Fortran (column-major) elements to row-major order. */
const toRowMajor = (src: Float64Array, shape: readonly number[]): Float64Array => {
  const n = src.length;
  const out = new Float64Array(n);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    // k walks the row-major index; its column-major offset is Σ idx[i]·Π_{j<i} shape[j].
    let off = 0;
    let stride = 1;
    for (let i = 0; i < r; i++) {
      off += idx[i]! * stride;
      stride *= shape[i]!;
    }
    out[k] = src[off]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
};

/** Read one `.npy` file. `what` names it in messages. */
export const readNpy = (bytes: Uint8Array, what = 'array'): NdArray => {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major < 1 || major > 3) throw new NpyError(`${what}: .npy format version ${major} is not supported (1, 2 or 3)`);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + hlen > bytes.length) throw new NpyError(`${what}: truncated header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const { descr, fortran, shape } = parseHeader(header, what);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : '';
  const reader = READERS[kind];
  if (!m || !reader)
    throw new NpyError(`${what}: element type '${descr}' is not supported; use numbers (float16/32/64, integers or booleans), e.g. a.astype(np.float32)`);
  const little = m[1] !== '>' ;
  const [size, read] = reader;
  const n = shape.reduce((a, b) => a * b, 1);
  const body = start + hlen;
  if (bytes.length - body < n * size) throw new NpyError(`${what}: shape (${shape.join(', ')}) needs ${n * size} bytes of data, the file has ${bytes.length - body}`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = read(view, body + i * size, little);
  return { shape, data: fortran && shape.length > 1 ? toRowMajor(data, shape) : data };
};

// ---------------------------------------------------------------------------------------------
// Zip (just what .npz needs)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes (the zip checksum). */
export const crc32 = (b: Uint8Array): number => {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly offset: number;
}

const zipEntries = (bytes: Uint8Array, what: string): ZipEntry[] => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record sits in the last 22 + 65535 bytes (after a comment).
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--)
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new NpyError(`${what}: not a .npz file (no zip directory)`);
  let count = v.getUint16(eocd + 10, true);
  let cd = v.getUint32(eocd + 16, true);
  // Zip64: the real values are in the zip64 end record that the locator points at.
  if ((cd === 0xffffffff || count === 0xffff) && eocd >= 20 && v.getUint32(eocd - 20, true) === 0x07064b50) {
    const z = Number(v.getBigUint64(eocd - 12, true));
    if (z + 56 > bytes.length || v.getUint32(z, true) !== 0x06064b50) throw new NpyError(`${what}: damaged zip64 directory`);
    count = Number(v.getBigUint64(z + 32, true));
    cd = Number(v.getBigUint64(z + 48, true));
  }
  const out: ZipEntry[] = [];
  let p = cd;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || v.getUint32(p, true) !== 0x02014b50) throw new NpyError(`${what}: damaged zip directory`);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let compressed = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let offset = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field (id 1): the 64-bit values of whichever fields above are 0xffffffff, in order.
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = () => {
          const x = Number(v.getBigUint64(q, true));
          q += 8;
          return x;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (offset === 0xffffffff) offset = next();
      }
      e += 4 + len;
    }
    out.push({ name, method, crc, compressed, size, offset });
    p = end + commentLen;
  }
  return out;
};

const entryBytes = (bytes: Uint8Array, e: ZipEntry, what: string): Uint8Array => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.offset + 30 > bytes.length || v.getUint32(e.offset, true) !== 0x04034b50) throw new NpyError(`${what}: damaged zip entry '${e.name}'`);
  const start = e.offset + 30 + v.getUint16(e.offset + 26, true) + v.getUint16(e.offset + 28, true);
  if (start + e.compressed > bytes.length) throw new NpyError(`${what}: zip entry '${e.name}' is truncated`);
  const raw = bytes.subarray(start, start + e.compressed);
  let out: Uint8Array;
  if (e.method === 0) out = raw;
  else if (e.method === 8) {
    try {
      out = inflateRawSync(raw);
    } catch (err) {
      throw new NpyError(`${what}: zip entry '${e.name}' does not inflate: ${(err as Error).message}`);
    }
  } else throw new NpyError(`${what}: zip entry '${e.name}' uses compression method ${e.method}; np.savez and np.savez_compressed use 0 and 8`);
  if (out.length !== e.size || crc32(out) !== e.crc) throw new NpyError(`${what}: zip entry '${e.name}' is damaged (size or checksum does not match)`);
  return out;
};

/** Read every array of an `.npz` file, in the file's order, named as `np.load` names them (without `.npy`). */
export const readNpz = (bytes: Uint8Array, what = 'file'): Array<[string, NdArray]> =>
  zipEntries(bytes, what)
    .filter((e) => !e.name.endsWith('/'))
    .map((e) => {
      const name = e.name.replace(/\.npy$/, '');
      return [name, readNpy(entryBytes(bytes, e, what), `${what}: ${name}`)] as [string, NdArray];
    });

// ---------------------------------------------------------------------------------------------
// Writing

/** One array as `.npy` v1.0 bytes, float32 (`<f4`) or float64 (`<f8`). */
export const writeNpy = (a: NdArray, dtype: 'float32' | 'float64' = 'float32'): Uint8Array => {
  const size = dtype === 'float32' ? 4 : 8;
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '<f${size}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so that the data starts at a multiple of 64 bytes; the header ends with '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + a.data.length * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const v = new DataView(out.buffer);
  v.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < a.data.length; i++)
    if (size === 4) v.setFloat32(total + 4 * i, a.data[i]!, true);
    else v.setFloat64(total + 8 * i, a.data[i]!, true);
  return out;
};

/** Named arrays as a stored (uncompressed) `.npz` zip, in the given order. */
export const writeNpz = (arrays: ReadonlyArray<readonly [string, NdArray]>, dtype: 'float32' | 'float64' = 'float32'): Uint8Array => {
  const files = arrays.map(([name, a]) => ({ name: new TextEncoder().encode(`${name}.npy`), body: writeNpy(a, dtype) }));
  const local = files.reduce((s, f) => s + 30 + f.name.length + f.body.length, 0);
  const central = files.reduce((s, f) => s + 46 + f.name.length, 0);
  const out = new Uint8Array(local + central + 22);
  const v = new DataView(out.buffer);
  let p = 0;
  const offsets: number[] = [];
  for (const f of files) {
    offsets.push(p);
    const crc = crc32(f.body);
    v.setUint32(p, 0x04034b50, true);
    v.setUint16(p + 4, 20, true);
    v.setUint16(p + 8, 0, true); // stored
    v.setUint16(p + 10, 0, true);
    v.setUint16(p + 12, 0x21, true); // 1980-01-01, so the bytes depend only on the arrays
    v.setUint32(p + 14, crc, true);
    v.setUint32(p + 18, f.body.length, true);
    v.setUint32(p + 22, f.body.length, true);
    v.setUint16(p + 26, f.name.length, true);
    out.set(f.name, p + 30);
    out.set(f.body, p + 30 + f.name.length);
    p += 30 + f.name.length + f.body.length;
  }
  const cd = p;
  files.forEach((f, i) => {
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, 20, true);
    v.setUint16(p + 6, 20, true);
    v.setUint16(p + 14, 0x21, true);
    v.setUint32(p + 16, crc32(f.body), true);
    v.setUint32(p + 20, f.body.length, true);
    v.setUint32(p + 24, f.body.length, true);
    v.setUint16(p + 28, f.name.length, true);
    v.setUint32(p + 42, offsets[i]!, true);
    out.set(f.name, p + 46);
    p += 46 + f.name.length;
  });
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, files.length, true);
  v.setUint16(p + 10, files.length, true);
  v.setUint32(p + 12, p - cd, true);
  v.setUint32(p + 16, cd, true);
  return out;
};
