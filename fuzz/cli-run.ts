/**
 * Running the `catoptric` command in-process on files held in memory, and judging what it printed:
 * exit 0, or exit 1 with a short clean message; anything else is a failure.
 */
import { run } from '../src/cli/run';
import type { Io } from '../src/cli/io';
import { type CaseResult, clip, messProblem } from './campaign';

/** What one command did. `threw` is set if `run` itself rejected (it promises never to). */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly threw?: string;
  /** Files written, by path. */
  readonly written: ReadonlyMap<string, string>;
}

const enoent = (p: string): Error => Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });

/** Paths under this directory behave as a missing directory (for write checks). */
export const MISSING_DIR = '/no/such/dir';

/** Run `catoptric ...argv` with `files` as the only readable files; writes go to memory. */
export const runCli = async (argv: readonly string[], files: ReadonlyMap<string, string>): Promise<CliRun> => {
  let out = '';
  let err = '';
  const written = new Map<string, string>();
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
    readFile: (p) => {
      const t = written.get(p) ?? files.get(p);
      if (t === undefined) throw enoent(p);
      return t;
    },
    readBytes: (p) => {
      const t = written.get(p) ?? files.get(p);
      if (t === undefined) throw enoent(p);
      return new TextEncoder().encode(t);
    },
    // Binary files (ONNX export) and directories stay in memory too: nothing reaches the disk.
    writeBytes: (p, b) => {
      if (p.startsWith(MISSING_DIR)) throw enoent(p);
      written.set(p, `(${b.length} bytes)`);
    },
    makeDir: (p) => {
      if (p.startsWith(MISSING_DIR)) throw enoent(p);
    },
    writeFile: (p, t) => {
      if (p.startsWith(MISSING_DIR)) throw enoent(p);
      written.set(p, t);
    },
    checkWritable: (p) => {
      if (p.startsWith(MISSING_DIR)) throw enoent(p);
    },
    now: () => performance.now(),
  };
  try {
    const code = await run(argv, io);
    return { code, out, err, written };
  } catch (e) {
    return { code: -1, out, err, written, threw: String((e as Error)?.stack ?? e) };
  }
};

/**
 * Judge a command's run: `ok` (exit 0, clean output), `refused` (exit 1, a clean message of at most
 * `maxLines` lines), else a failure with what went wrong.
 */
export const judgeCli = (r: CliRun, what: string, maxLines = 6): CaseResult => {
  if (r.threw !== undefined) return { verdict: 'uncaught', detail: `${what}: run() threw: ${clip(r.threw)}` };
  if (/internal error/.test(r.err)) return { verdict: 'internal', detail: `${what}: ${clip(r.err)}` };
  if (r.code === 0) {
    const bad = messProblem(r.out, Infinity) ?? messProblem(r.err, Infinity);
    return bad ? { verdict: 'messy', detail: `${what}: exit 0 but ${bad}` } : { verdict: 'ok' };
  }
  if (r.code !== 1) return { verdict: 'messy', detail: `${what}: exit code ${r.code}` };
  if (r.err.trim() === '') return { verdict: 'messy', detail: `${what}: exit 1 without a message` };
  const bad = messProblem(r.err, maxLines);
  return bad ? { verdict: 'messy', detail: `${what}: ${bad}` } : { verdict: 'refused', detail: clip(r.err, 160) };
};

/** The worse of two results (failures beat refusals beat ok). */
export const worse = (a: CaseResult, b: CaseResult): CaseResult => {
  const rank = (c: CaseResult) => (c.verdict === 'ok' ? 0 : c.verdict === 'refused' ? 1 : 2);
  return rank(b) > rank(a) ? b : a;
};
