/**
 * Saving a file so that a failure midway (a full disk, a kill) never loses what was there: the text
 * goes to a temporary file in the same directory, is flushed to disk, and is then renamed over the
 * target, which POSIX makes atomic. Readers see the old file or the new one, never half of one.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/** The file operations a save needs (node's `fs` has them; tests pass one that fails on purpose). */
export interface SaveFs {
  openSync(file: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(file: string): void;
  linkSync(existing: string, link: string): void;
  copyFileSync(from: string, to: string): void;
  statSync(file: string): { isDirectory(): boolean };
  existsSync(file: string): boolean;
  readFileSync(file: string, encoding: 'utf8'): string;
}

/** Node's own file system. */
export const nodeSaveFs: SaveFs = nodeFs as unknown as SaveFs;

/** How to save. */
export interface SaveOptions {
  /** When the target exists, keep its previous content as `FILE.bak` (replacing an older `.bak`). */
  readonly backup?: boolean;
}

let counter = 0;

/** A temporary name next to `file`, unlikely to collide with another writer's. */
const tempName = (file: string): string =>
  path.join(path.dirname(file), `.${path.basename(file)}.tmp-${typeof process !== 'undefined' ? process.pid : 0}-${counter++}`);

const writeAll = (fs: SaveFs, fd: number, bytes: Uint8Array): void => {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
};

/** Make a finished rename durable: fsync the directory (not possible everywhere, hence best effort). */
const syncDir = (fs: SaveFs, dir: string): void => {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
};

/**
 * Replace `file` with `text` (or bytes) atomically: write a temporary file in the same directory, fsync it,
 * optionally keep the old file as `FILE.bak`, then rename the temporary file over `file`. If anything
 * fails, the temporary file is removed, `file` is left exactly as it was, and the error is rethrown.
 */
export const saveAtomically = (fs: SaveFs, file: string, text: string | Uint8Array, opts: SaveOptions = {}): void => {
  const tmp = tempName(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    writeAll(fs, fd, typeof text === 'string' ? new TextEncoder().encode(text) : text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (opts.backup && fs.existsSync(file)) {
      const bak = `${file}.bak`;
      if (fs.existsSync(bak)) fs.unlinkSync(bak);
      // A hard link keeps the old content without copying it; some file systems need a copy.
      try {
        fs.linkSync(file, bak);
      } catch {
        fs.copyFileSync(file, bak);
      }
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing; the first error is the one to report */
      }
    try {
      if (fs.existsSync(tmp)) fs.unlinkSync(tmp);
    } catch {
      /* as above */
    }
    throw e;
  }
  syncDir(fs, path.dirname(file));
};

/**
 * Throw unless `file` could be saved: its directory exists and accepts a new file, and `file` is not
 * a directory. Creates and removes a probe file, so it also catches read-only mounts.
 */
export const probeWritable = (fs: SaveFs, file: string): void => {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    const e = new Error(`${file} is a directory`) as NodeJS.ErrnoException;
    e.code = 'EISDIR';
    throw e;
  }
  const probe = tempName(file);
  const fd = fs.openSync(probe, 'wx', 0o644);
  fs.closeSync(fd);
  fs.unlinkSync(probe);
};
