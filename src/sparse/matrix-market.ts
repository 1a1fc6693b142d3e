import * as E from 'fp-ts/lib/Either.js';
import type { Csr } from './csr';
import { fromCoo } from './generate';

/**
 * Read a Matrix Market file (the format of the SuiteSparse collection): `coordinate` storage with
 * `real`, `integer` or `pattern` entries (pattern entries read as 1) and `general`, `symmetric` or
 * `skew-symmetric` symmetry (the mirrored triangle is filled in). Duplicate entries are summed.
 * Errors name the file and line.
 *
 * @example
 * const a = readMatrixMarket(fs.readFileSync('bcsstk01.mtx', 'utf8'), 'bcsstk01.mtx');
 */
export const readMatrixMarket = (text: string, file = 'matrix'): E.Either<string, Csr> => {
  const lines = text.split(/\r?\n/);
  const bad = (line: number, m: string) => E.left(`${file}:${line}: ${m}`);
  const head = (lines[0] ?? '').trim().split(/\s+/).map((s) => s.toLowerCase());
  if (head[0] !== '%%matrixmarket' || head[1] !== 'matrix')
    return bad(1, `expected the header '%%MatrixMarket matrix coordinate <field> <symmetry>', got ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const [, , format, field, symmetry] = head;
  if (format !== 'coordinate') return bad(1, `only 'coordinate' (sparse) storage is read, got '${format}'`);
  if (!['real', 'integer', 'pattern'].includes(field ?? '')) return bad(1, `field must be real, integer or pattern, got '${field}'`);
  if (!['general', 'symmetric', 'skew-symmetric'].includes(symmetry ?? ''))
    return bad(1, `symmetry must be general, symmetric or skew-symmetric, got '${symmetry}'`);
  let l = 1;
  while (l < lines.length && (lines[l]!.startsWith('%') || lines[l]!.trim() === '')) l++;
  if (l >= lines.length) return bad(l, 'missing the size line "rows cols entries"');
  const size = lines[l]!.trim().split(/\s+/).map(Number);
  if (size.length !== 3 || !size.every((x) => Number.isInteger(x) && x >= 0) || size[0]! < 1 || size[1]! < 1)
    return bad(l + 1, `expected the size line "rows cols entries" (positive integers), got ${JSON.stringify(lines[l])}`);
  const [rows, cols, entries] = size as [number, number, number];
  if (symmetry !== 'general' && rows !== cols) return bad(l + 1, `a ${symmetry} matrix must be square, got ${rows} × ${cols}`);
  const is: number[] = [], js: number[] = [], vs: number[] = [];
  let seen = 0;
  for (l = l + 1; l < lines.length; l++) {
    const s = lines[l]!.trim();
    if (s === '' || s.startsWith('%')) continue;
    const parts = s.split(/\s+/);
    const want = field === 'pattern' ? 2 : 3;
    if (parts.length !== want) return bad(l + 1, `expected ${want} fields (row col${field === 'pattern' ? '' : ' value'}), got ${JSON.stringify(s.slice(0, 60))}`);
    const i = Number(parts[0]), j = Number(parts[1]);
    const v = field === 'pattern' ? 1 : Number(parts[2]);
    if (!Number.isInteger(i) || i < 1 || i > rows) return bad(l + 1, `row index ${parts[0]} is not an integer in [1, ${rows}]`);
    if (!Number.isInteger(j) || j < 1 || j > cols) return bad(l + 1, `column index ${parts[1]} is not an integer in [1, ${cols}]`);
    if (!Number.isFinite(v) || (field === 'integer' && !Number.isInteger(v))) return bad(l + 1, `value ${parts[2]} is not a finite ${field} number`);
    if (symmetry !== 'general' && j > i) return bad(l + 1, `a ${symmetry} file lists the lower triangle only, got entry (${i}, ${j})`);
    if (symmetry === 'skew-symmetric' && i === j) return bad(l + 1, `a skew-symmetric matrix has no diagonal entries, got (${i}, ${j})`);
    is.push(i - 1), js.push(j - 1), vs.push(v);
    if (symmetry !== 'general' && i !== j) is.push(j - 1), js.push(i - 1), vs.push(symmetry === 'skew-symmetric' ? -v : v);
    seen++;
  }
  if (seen !== entries) return bad(lines.length, `the size line promises ${entries} entries, the file has ${seen}`);
  return E.right(fromCoo(rows, cols, is, js, vs));
};
