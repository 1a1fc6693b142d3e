// Shared by the tests that drive the `catoptric` command in-process: run it with captured output, and
// list the example spec files.
import fs from 'node:fs';
import path from 'node:path';
import { type Io, fileIo } from '../src/cli/io';
import { run } from '../src/cli/run';

/** Run the CLI in-process, capturing what it prints. */
export const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
    ...fileIo(),
    readBytes: (p) => fs.readFileSync(p),
    now: () => performance.now(),
  };
  const code = await run(argv, io);
  return { code, out, err };
};

/** Every example spec file: examples/NAME/*.json. */
export const exampleSpecs = (): string[] =>
  fs
    .readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join('examples', d.name)).filter((f) => f.endsWith('.json')).map((f) => path.join('examples', d.name, f)));
