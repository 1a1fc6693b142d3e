import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Someone who clones the repository has only the repository: documents must not point outside it
 * (a design note in a sibling folder, an absolute path on one machine), and every file they name
 * must exist.
 */
const root = path.resolve('.');
const SKIP = new Set(['node_modules', 'dist', '.git', 'pkg', 'target', 'coverage']);

const walk = (dir: string, out: string[] = []): string[] => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.') && e.name !== '.ci') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
};

const files = walk(root);
const markdown = files.filter((f) => f.endsWith('.md'));
const text = files.filter((f) => /\.(md|ts|mjs|js|json|sh|rs|toml)$/.test(f) || f.endsWith(`.ci${path.sep}run`));
const rel = (f: string) => path.relative(root, f);

/** Link and image targets of a markdown text: `[x](target)`, without anchors and titles. */
const linkTargets = (md: string): string[] =>
  [...md.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t)).map((t) => t.split('#')[0]!);

/** Backticked repository paths (`src/cli/train.ts`), leaving out patterns and placeholders. */
const codePaths = (md: string): string[] =>
  [...md.matchAll(/`((?:src|test|laws|docs|examples|backends|scripts|schema|bench)\/[^`\s]+)`/g)]
    .map((m) => m[1]!.replace(/[:,.]$/, ''))
    .filter((p) => !/[{}*…<>]|NAME|\bX\b/.test(p) && /\.[a-z]+$|\/$/.test(p));

describe('the repository is self-contained', () => {
  it('finds the documents', () => {
    expect(markdown.map(rel)).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', path.join('docs', 'architecture.md')]));
  });
  it('README and CONTRIBUTING link docs/architecture.md', () => {
    for (const f of ['README.md', 'CONTRIBUTING.md']) expect(fs.readFileSync(f, 'utf8')).toContain('(docs/architecture.md)');
  });
  for (const f of markdown) {
    it(`${rel(f)}: every link and every named file exists inside the repository`, () => {
      const md = fs.readFileSync(f, 'utf8');
      const bad: string[] = [];
      for (const t of linkTargets(md)) {
        const p = path.resolve(path.dirname(f), decodeURIComponent(t));
        if (!p.startsWith(root + path.sep) || !fs.existsSync(p)) bad.push(`link ${t}`);
      }
      // A backticked path is relative to the repository or to the document's own folder.
      for (const t of codePaths(md)) if (!fs.existsSync(path.join(root, t)) && !fs.existsSync(path.join(path.dirname(f), t))) bad.push(`path ${t}`);
      expect(bad).toEqual([]);
    });
  }
  it('no file refers to a folder beside the repository or to an absolute path on this machine', () => {
    const bad = text.filter((f) => /\.\.\/shared\/|\/work\/(shared|main|wt)\b/.test(fs.readFileSync(f, 'utf8'))).map(rel);
    expect(bad).toEqual([]);
  });
});
