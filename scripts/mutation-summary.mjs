#!/usr/bin/env node
// Summarise Stryker mutation.json reports, one per folder: node scripts/mutation-summary.mjs [--json] folder=report.json ...
// Score as Stryker defines it: (killed + timeout) / (killed + timeout + survived + no coverage).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('Usage: node scripts/mutation-summary.mjs [--json] FOLDER=REPORT.json ...');
  process.exit(0);
}
const json = args.includes('--json');
const bad = args.filter((a) => a.startsWith('-') && a !== '--json');
if (bad.length) {
  console.error(`mutation-summary: unknown option ${bad[0]} (see --help)`);
  process.exit(2);
}
const rows = args
  .filter((a) => !a.startsWith('-'))
  .map((a) => {
    const [folder, file] = a.split('=');
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const count = {};
    const survivors = [];
    for (const [path, f] of Object.entries(report.files))
      for (const m of f.mutants) {
        count[m.status] = (count[m.status] ?? 0) + 1;
        if (m.status === 'Survived' || m.status === 'NoCoverage')
          survivors.push(`${path}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}${m.replacement !== undefined ? ` → ${m.replacement}` : ''}`);
      }
    const n = (s) => count[s] ?? 0;
    const detected = n('Killed') + n('Timeout');
    const valid = detected + n('Survived') + n('NoCoverage');
    return {
      folder,
      killed: n('Killed'),
      timeout: n('Timeout'),
      survived: n('Survived'),
      noCoverage: n('NoCoverage'),
      ignored: n('Ignored'),
      errors: n('CompileError') + n('RuntimeError'),
      score: valid ? Math.round((1000 * detected) / valid) / 10 : null,
      survivors,
    };
  });
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log('| folder | killed | timeout | survived | no coverage | ignored | score |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.folder} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.ignored} | ${r.score ?? '—'}% |`);
}
