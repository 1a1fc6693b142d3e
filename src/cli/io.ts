/**
 * What a command may touch: output streams and files. Commands take an {@link Io} so tests can run
 * them in-process and read what they printed.
 */
import * as fs from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { type CheckedSpec, formatIssues, loadSpec } from '../term/codec';
import { UserError } from './args';
import { type SaveFs, type SaveOptions, nodeSaveFs, probeWritable, saveAtomically } from './save';

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
  /** Replace a file's content; the process's files are saved atomically (see `./save`). */
  writeFile(path: string, text: string, opts?: SaveOptions): void;
  /** Write bytes (binary files), atomically for the process; defaults to the file system when absent. */
  writeBytes?(path: string, bytes: Uint8Array): void;
  /** Create a directory and its parents; defaults to the file system when absent. */
  makeDir?(path: string): void;
  /**
   * Throw unless `writeFile(path, …)` can succeed (its directory exists and is writable). Absent (an
   * in-memory Io), nothing is probed and `writeFile` reports its own failures.
   */
  checkWritable?(path: string): void;
  /** Milliseconds, for timings. */
  now(): number;
  /** All of standard input (commands with `--stdin`); absent where there is none. */
  readStdin?(): string;
}

/** File access over a {@link SaveFs}: reads, atomic saves, and the writability probe. */
export const fileIo = (fs: SaveFs = nodeSaveFs): Pick<Io, 'readFile' | 'writeFile' | 'checkWritable'> => ({
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  writeFile: (p, text, opts) => saveAtomically(fs, p, text, opts),
  checkWritable: (p) => probeWritable(fs, p),
});

/** The process's streams and the file system. */
export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errIsTTY: Boolean(process.stderr.isTTY),
  ...fileIo(),
  readBytes: (p) => fs.readFileSync(p),
  writeBytes: (p, bytes) => saveAtomically(nodeSaveFs, p, bytes),
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

/** Why a write failed, in words (the system's code in parentheses). */
const writeFailure = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = {
    ENOENT: 'no such directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EIO: 'input/output error',
    ENAMETOOLONG: 'file name too long',
  };
  return code && Object.hasOwn(words, code) ? `${words[code]} (${code})` : code ? `system error ${code}` : `failed (${String((e as Error)?.message ?? e).slice(0, 120)})`;
};

/**
 * Save a file atomically, turning failures into a {@link UserError}. The previous content, if any, is
 * then still in place (and with `backup`, a successful save keeps it as `FILE.bak`).
 */
export const writeText = (io: Io, file: string, text: string, opts: SaveOptions = {}): void => {
  try {
    io.writeFile(file, text, opts);
  } catch (e) {
    throw new UserError(`${file}: cannot write: ${writeFailure(e)}; the file is unchanged`);
  }
};

/** Check before long work that `file` can be written later; a {@link UserError} naming why not. */
export const checkWritable = (io: Io, file: string, what: string): void => {
  try {
    io.checkWritable?.(file);
  } catch (e) {
    throw new UserError(`${file}: cannot write ${what} there: ${writeFailure(e)}`);
  }
};

/** Problems shown at once: enough to fix a file in one go, few enough to read. */
export const MAX_SHOWN_ISSUES = 5;

/** Write a binary file, turning failures into a {@link UserError}. */
export const writeBytes = (io: Io, file: string, bytes: Uint8Array): void => {
  try {
    if (io.writeBytes) io.writeBytes(file, bytes);
    else saveAtomically(nodeSaveFs, file, bytes);
  } catch (e) {
    throw new UserError(`${file}: cannot write: ${writeFailure(e)}; the file is unchanged`);
  }
};

/** Create a directory (and its parents), turning failures into a {@link UserError}. */
export const makeDir = (io: Io, dir: string): void => {
  try {
    if (io.makeDir) io.makeDir(dir);
    else fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : writeFailure(e);
    throw new UserError(`${dir}: cannot create the directory: ${why}`);
  }
};

/** Read, decode and check a spec file; every problem becomes a line `file: json.path: message`. */
export const readSpec = (io: Io, file: string): CheckedSpec => {
  const r = loadSpec(readText(io, file, 'spec'));
  if (E.isLeft(r)) {
    const lines = formatIssues(r.left, file);
    const shown = lines.slice(0, MAX_SHOWN_ISSUES);
    if (lines.length > shown.length) shown.push(`${file}: ... and ${lines.length - shown.length} more`);
    throw new UserErrors(shown);
  }
  return r.right;
};
