/**
 * Write (or, with --check, compare) the data sets shipped beside the example specs.
 *
 *   npx tsx examples/datasets/main.ts [--check]
 */
import * as fs from 'node:fs';
import { writeNpz } from '../../src/cli/npy';
import { datasets } from './datasets';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: npx tsx examples/datasets/main.ts [--check]\n\nWrites the example data sets (.npz); --check compares them with the committed files instead.');
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--check');
if (unknown.length) {
  console.error(`unknown option ${unknown[0]}; see --help`);
  process.exit(1);
}
let stale = 0;
for (const d of datasets) {
  const bytes = writeNpz(d.make());
  if (args.includes('--check')) {
    const same = fs.existsSync(d.file) && Buffer.compare(fs.readFileSync(d.file), Buffer.from(bytes)) === 0;
    console.log(`${d.file}: ${same ? 'up to date' : 'differs'}`);
    if (!same) stale++;
  } else {
    fs.writeFileSync(d.file, bytes);
    console.log(`${d.file}: ${bytes.length} bytes`);
  }
}
process.exit(stale ? 1 : 0);
