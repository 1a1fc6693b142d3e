/**
 * Where a JSON path is in the text of a JSON document: the playground marks a spec problem (a
 * `DocIssue`, located by its JSON path) at the exact characters of the value it names.
 */
import type { JsonKey } from 'catoptric/browser';

/** Characters `[from, to)` of a value, and of its key when it is an object member. */
export interface Span {
  readonly from: number;
  readonly to: number;
  readonly keyFrom?: number;
}

const pathId = (path: readonly JsonKey[]): string => JSON.stringify(path.map(String));

/**
 * The span of every value in a JSON text, by JSON path. The text must be valid JSON (check with
 * `JSON.parse` first); anything else gives the spans read so far.
 */
export const jsonSpans = (text: string): Map<string, Span> => {
  const spans = new Map<string, Span>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: JsonKey[], keyFrom?: number): void => {
    ws();
    const from = i;
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      while (i < text.length && text[i] !== '}') {
        const kf = i;
        const key = str();
        ws();
        i++; // ':'
        value([...path, key], kf);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      let n = 0;
      while (i < text.length && text[i] !== ']') {
        value([...path, n++]);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') str();
    else while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
    spans.set(pathId(path), { from, to: i, ...(keyFrom !== undefined ? { keyFrom } : {}) });
  };
  if (text.trim()) value([]);
  return spans;
};

/**
 * The span of the deepest part of `path` present in the text: the value itself, or (for a missing
 * field) the object that should hold it. Undefined only for an empty document.
 */
export const locate = (spans: ReadonlyMap<string, Span>, path: readonly JsonKey[]): Span | undefined => {
  for (let n = path.length; n >= 0; n--) {
    const s = spans.get(pathId(path.slice(0, n)));
    if (s) return s;
  }
  return undefined;
};

/** The character offset of a 1-based line and column, clamped to the text. */
export const offsetOf = (text: string, line: number, column: number): number => {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(text.length, off + Math.max(0, column - 1));
};
