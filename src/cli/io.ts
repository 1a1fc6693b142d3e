/**
 * What a command may touch: output streams and files. Commands take an {@link Io} so tests can run
 * them in-process and read what they printed.
 */
import * as fs from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { type CheckedSpec, formatIssues, loadSpec } from '../term/codec';
import { UserError } from './args';

export interface Io {
  /** Standard output (results). */
  out(s: string): void;
  /** Standard error (progress, messages). */
  err(s: string): void;
  /** True when stderr is a terminal (progress bars redraw in place). */
  readonly errIsTTY: boolean;
  readFile(path: string): string;
  /** A file's bytes (binary data files); without it, `readFile`'s text as UTF-8. */
  readBytes?(path: string): Uint8Array;
  writeFile(path: string, text: string): void;
  /** Write bytes (binary files); defaults to the file system when absent. */
  writeBytes?(path: string, bytes: Uint8Array): void;
  /** Create a directory and its parents; defaults to the file system when absent. */
  makeDir?(path: string): void;
  /** Milliseconds, for timings. */
  now(): number;
  /** All of standard input (commands with `--stdin`); absent where there is none. */
  readStdin?(): string;
}

/** The process's streams and the file system. */
export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errIsTTY: Boolean(process.stderr.isTTY),
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  readBytes: (p) => fs.readFileSync(p),
  writeFile: (p, text) => fs.writeFileSync(p, text),
  writeBytes: (p, bytes) => fs.writeFileSync(p, bytes),
  makeDir: (p) => void fs.mkdirSync(p, { recursive: true }),
  now: () => performance.now(),
  readStdin: () => fs.readFileSync(0, 'utf8'),
});

/** Several error lines at once (each already names its file and path). */
export class UserErrors extends UserError {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
  }
}

/** Read a file, turning "no such file" and friends into a {@link UserError}. */
export const readText = (io: Io, file: string, what = 'file'): string => {
  try {
    return io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`${file}: cannot read ${what}: ${why}`);
  }
};

/** Write a file, turning failures into a {@link UserError}. */
export const writeText = (io: Io, file: string, text: string): void => {
  try {
    io.writeFile(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`${file}: cannot write: ${why}`);
  }
};

/** Write a binary file, turning failures into a {@link UserError}. */
export const writeBytes = (io: Io, file: string, bytes: Uint8Array): void => {
  try {
    if (io.writeBytes) io.writeBytes(file, bytes);
    else fs.writeFileSync(file, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`${file}: cannot write: ${why}`);
  }
};

/** Create a directory (and its parents), turning failures into a {@link UserError}. */
export const makeDir = (io: Io, dir: string): void => {
  try {
    if (io.makeDir) io.makeDir(dir);
    else fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`${dir}: cannot create the directory: ${why}`);
  }
};

/** Read, decode and check a spec file; every problem becomes a line `file: json.path: message`. */
export const readSpec = (io: Io, file: string): CheckedSpec => {
  const r = loadSpec(readText(io, file, 'spec'));
  if (E.isLeft(r)) {
    const lines = formatIssues(r.left, file);
    const shown = lines.slice(0, 20);
    if (lines.length > shown.length) shown.push(`${file}: ... and ${lines.length - shown.length} more`);
    throw new UserErrors(shown);
  }
  return r.right;
};
