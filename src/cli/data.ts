/**
 * Reading a user's arrays for `catoptric train --data`: `.npy` and `.npz` (what numpy writes),
 * `.json` and `.csv`. Each file gives named arrays in file order; the first axis of every array runs
 * over examples. Every problem is a {@link UserError} naming the file, the array (or line) and what
 * was expected.
 *
 * - `.npz`: every array, named as `np.load` names them (`np.savez('d.npz', x=x, y=y)`).
 * - `.npy`: one array, named `x`.
 * - `.json`: an object of named arrays, each nested lists of numbers or `{"shape": [...], "data": [...]}`.
 * - `.csv`: one row per example. With a header row, a column named `y`, `label` or `target` (or
 *   starting with `y_`) is a target, every other column an input feature; without a header the last
 *   column is the target. Gives `x` [N, features] and `y` [N] (or [N, k] for k target columns).
 */
import { type NdArray, NpyError, readNpy, readNpz } from './npy';
import { UserError } from './args';

export type { NdArray } from './npy';

/** A named array of a data file. */
export interface NamedArray {
  readonly name: string;
  readonly array: NdArray;
}

/** How an array's rows may be read: CSV rows are flat and may be reshaped to an input's shape. */
export interface DataFile {
  readonly file: string;
  readonly arrays: readonly NamedArray[];
  /** Rows are flat feature lists (CSV): the per-example shape comes from the spec. */
  readonly flat: boolean;
}

/** Where file bytes come from (the CLI's `Io`, or a test). */
export type ReadBytes = (file: string) => Uint8Array;

const extOf = (file: string): string => /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase() ?? '';

/** Read a data file by its extension. */
export const readDataFile = (file: string, readBytes: ReadBytes): DataFile => {
  const ext = extOf(file);
  if (!['npz', 'npy', 'json', 'csv'].includes(ext)) throw new UserError(`${file}: unknown data format '.${ext}'; expected .npz, .npy, .json or .csv`);
  let bytes: Uint8Array;
  try {
    bytes = readBytes(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read data: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  try {
    if (ext === 'npz') return { file, arrays: readNpz(bytes, file).map(([name, array]) => ({ name, array })), flat: false };
    if (ext === 'npy') return { file, arrays: [{ name: 'x', array: readNpy(bytes, file) }], flat: false };
    const text = new TextDecoder().decode(bytes);
    return ext === 'json' ? { file, arrays: parseJsonArrays(text, file), flat: false } : { file, arrays: parseCsv(text, file), flat: true };
  } catch (e) {
    if (e instanceof NpyError) throw new UserError(e.message);
    throw e;
  }
};

// ---------------------------------------------------------------------------------------------
// JSON

/** Shape and row-major values of nested lists, or a message naming the first ragged or bad place. */
const nested = (v: unknown, at: string): NdArray | string => {
  const shape: number[] = [];
  for (let cur: unknown = v; Array.isArray(cur); cur = cur[0]) {
    shape.push(cur.length);
    if (cur.length === 0) break;
  }
  const out: number[] = [];
  const walk = (u: unknown, depth: number, path: string): string | null => {
    if (depth === shape.length) {
      if (typeof u !== 'number' || !Number.isFinite(u)) return `${path}: expected a finite number, got ${JSON.stringify(u)?.slice(0, 40)}`;
      out.push(u);
      return null;
    }
    if (!Array.isArray(u) || u.length !== shape[depth]) return `${path}: expected a list of ${shape[depth]} (the arrays are ragged), got ${JSON.stringify(u)?.slice(0, 40)}`;
    for (let i = 0; i < u.length; i++) {
      const e = walk(u[i], depth + 1, `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  };
  const e = walk(v, 0, at);
  return e ?? { shape, data: Float64Array.from(out) };
};

const parseJsonArrays = (text: string, file: string): NamedArray[] => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UserError(`${file}: expected an object of named arrays, e.g. {"x": [[0.1, 0.2], ...], "y": [1, ...]}`);
  return Object.entries(doc as Record<string, unknown>).map(([name, v]) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const shape = o.shape;
      const data = o.data;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Array.isArray(data))
        throw new UserError(`${file}: ${name}: expected nested lists of numbers or {"shape": [...], "data": [...]}`);
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      if (data.length !== n) throw new UserError(`${file}: ${name}.data: shape [${shape.join(',')}] needs ${n} numbers, got ${data.length}`);
      const bad = data.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
      if (bad >= 0) throw new UserError(`${file}: ${name}.data[${bad}]: expected a finite number, got ${JSON.stringify(data[bad])}`);
      return { name, array: { shape: shape as number[], data: Float64Array.from(data as number[]) } };
    }
    const r = nested(v, `${file}: ${name}`);
    if (typeof r === 'string') throw new UserError(r);
    return { name, array: r };
  });
};

// ---------------------------------------------------------------------------------------------
// CSV

const splitCsvLine = (line: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
};

const isTargetColumn = (name: string): boolean => /^(y|label|labels|target|targets)$/i.test(name) || /^y[_.\[]/i.test(name);

const parseCsv = (text: string, file: string): NamedArray[] => {
  const lines = text.split(/\r?\n/).map((l, i) => [i + 1, l] as const).filter(([, l]) => l.trim() !== '' && !l.startsWith('#'));
  if (!lines.length) throw new UserError(`${file}: no rows`);
  const first = splitCsvLine(lines[0]![1]);
  const header = first.some((c) => c !== '' && !Number.isFinite(Number(c)));
  const names = header ? first : undefined;
  const rows = header ? lines.slice(1) : lines;
  if (!rows.length) throw new UserError(`${file}: a header but no rows`);
  const width = (names ?? splitCsvLine(rows[0]![1])).length;
  if (width < 2) throw new UserError(`${file}: expected at least two columns (input features and a target)`);
  const target = names ? names.map(isTargetColumn) : Array.from({ length: width }, (_, j) => j === width - 1);
  const nt = target.filter(Boolean).length;
  if (nt === 0) throw new UserError(`${file}: no target column; name it y, label or target (columns: ${names!.join(', ')})`);
  if (nt === width) throw new UserError(`${file}: every column is a target; input columns need other names than y, label or target`);
  const x = new Float64Array(rows.length * (width - nt));
  const y = new Float64Array(rows.length * nt);
  rows.forEach(([lineNo, l], r) => {
    const cells = splitCsvLine(l);
    if (cells.length !== width) throw new UserError(`${file}: line ${lineNo}: expected ${width} values, got ${cells.length}`);
    let xi = 0;
    let yi = 0;
    cells.forEach((c, j) => {
      const v = Number(c);
      if (c === '' || !Number.isFinite(v)) throw new UserError(`${file}: line ${lineNo}, column ${names ? `'${names[j]}'` : j + 1}: expected a number, got ${JSON.stringify(c)}`);
      if (target[j]) y[r * nt + yi++] = v;
      else x[r * (width - nt) + xi++] = v;
    });
  });
  return [
    { name: 'x', array: { shape: [rows.length, width - nt], data: x } },
    { name: 'y', array: { shape: nt === 1 ? [rows.length] : [rows.length, nt], data: y } },
  ];
};
