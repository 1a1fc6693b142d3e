import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

/**
 * Every example script (and `npm run bench`) refuses a bad value in one line with exit code 1,
 * before doing any work; --help and unknown options through the same parser.
 */
const scripts: readonly { name: string; file: string; bad: string[]; says: RegExp }[] = [
  { name: 'spirals', file: 'examples/spirals/main.ts', bad: ['--steps', 'lots'], says: /^spirals: --steps expects a positive integer, got "lots"\n$/ },
  { name: 'fusion', file: 'examples/fusion/main.ts', bad: ['--seed', '-3'], says: /^fusion: --seed expects a non-negative integer, got "-3"\n$/ },
  { name: 'att-svm', file: 'examples/att-svm/main.ts', bad: ['--out', '/no/such/dir/c.svg'], says: /^att-svm: cannot write \/no\/such\/dir\/c\.svg: no such directory\n$/ },
  { name: 'equivariant', file: 'examples/equivariant/main.ts', bad: ['--backend', 'gpu'], says: /^equivariant: --backend expects one of js, wasm, got "gpu"\n$/ },
  { name: 'parity', file: 'examples/parity/main.ts', bad: ['--wd', '-1'], says: /^parity: --wd expects a number ≥ 0, got "-1"\n$/ },
  { name: 'plan', file: 'examples/plan/main.ts', bad: ['--budget', 'lots'], says: /^plan: --budget expects a size such as 64MiB, 512KiB or 1GB, got "lots"\n$/ },
  { name: 'bidirectional', file: 'examples/bidirectional/main.ts', bad: ['--steps', '0'], says: /^bidirectional: --steps expects a positive integer, got "0"\n$/ },
  { name: 'pmi', file: 'examples/pmi/main.ts', bad: ['--tasks', 'sorting'], says: /^pmi: --tasks expects a comma-separated subset of sort-of-clevr, triangles, got "sorting"\n$/ },
  { name: 'graph', file: 'examples/graph/main.ts', bad: ['--nodes', '5'], says: /^graph: --nodes expects an integer ≥ 30, got 5\n$/ },
  { name: 'bench', file: 'bench/main.ts', bad: ['--only', 'nope'], says: /^bench: --only: unknown group\(s\) nope; expected wasm/ },
];

// `node --import tsx` rather than the tsx command, which starts a second process.
const run = (file: string, args: string[]): Promise<{ code: number; out: string; err: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', timeout: 60_000 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out, err }));
  });

/** Run the jobs a few at a time (the machine has two cores). */
const pool = async <A>(jobs: (() => Promise<A>)[], width = 3): Promise<A[]> => {
  const out: A[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
};

describe('example scripts: --help, unknown options and bad values', () => {
  // Every script parses with examples/args.ts (or the CLI's parser): each refuses a bad value of its
  // own, and --help and an unknown option are checked on two of them (each process spawned costs
  // about a second of CPU, and npm test keeps its budget).
  const full = new Set(['spirals', 'bench']);
  it('every script refuses a bad value in one line with exit 1; --help answers, an unknown option is refused', async () => {
    const jobs = scripts.flatMap((s) => [() => run(s.file, s.bad), ...(full.has(s.name) ? [() => run(s.file, ['--frobnicate']), () => run(s.file, ['--help'])] : [])]);
    const res = await pool(jobs);
    let at = 0;
    for (const s of scripts) {
      const bad = res[at++]!;
      expect(bad.code, `${s.name} ${s.bad.join(' ')}`).toBe(1);
      expect(bad.err).toMatch(s.says);
      expect(bad.out).toBe('');
      if (full.has(s.name)) {
        const unknown = res[at++]!;
        const help = res[at++]!;
        expect(unknown.code, `${s.name} --frobnicate`).toBe(1);
        expect(unknown.err).toMatch(new RegExp(`^${s.name}: unknown option --frobnicate; see \`npm run [\\w:-]+ -- --help\`\\n$`));
        expect(help.code, `${s.name} --help`).toBe(0);
        expect(help.out).toMatch(new RegExp(`^Usage: npm run (example:${s.name}|${s.name}) --`));
        expect(help.out).toMatch(/-h, --help +show this help/);
      }
    }
  }, 180_000);

  // Scripts with parsers of their own (and npm run fuzz): an unknown option or a bad value is one
  // line on stderr naming the script, exit 1, nothing on stdout.
  const others: readonly { file: string; argv: string[]; says: RegExp }[] = [
    { file: 'examples/active-learning/main.ts', argv: ['--seeds', 'lots'], says: /^active-learning: --seeds expects an integer ≥ 1, got "lots"\n$/ },
    { file: 'examples/search/main.ts', argv: ['--frobnicate'], says: /^example:search: unknown option --frobnicate; see `npm run example:search -- --help`\n$/ },
    { file: 'examples/datasets/main.ts', argv: ['--frobnicate'], says: /^unknown option --frobnicate; see --help\n$/ },
    { file: 'examples/affine/main.ts', argv: ['--steps', 'lots'], says: /^example:affine: --steps expects an integer ≥ 1, got "lots"\n$/ },
    { file: 'fuzz/main.ts', argv: ['--only', 'nope'], says: /^fuzz: --only: no campaign "nope"; expected some of specs, terms/ },
  ];
  it('scripts with their own parsers refuse bad input in one line with exit 1', async () => {
    const res = await pool(others.map((s) => () => run(s.file, s.argv)));
    others.forEach((s, i) => {
      expect(res[i]!.code, `${s.file} ${s.argv.join(' ')}`).toBe(1);
      expect(res[i]!.err).toMatch(s.says);
      expect(res[i]!.out).toBe('');
    });
  }, 120_000);
});
