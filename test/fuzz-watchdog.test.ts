import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';

/**
 * A short run of `npm run fuzz` (every campaign, each case in the watchdog process with its time and
 * memory budget): no case may fail. Long runs (`npm run fuzz -- --n 20000`) are not part of `npm test`.
 */
describe('npm run fuzz, briefly', () => {
  it('10 cases of every hostile-input campaign: no uncaught exception, internal error, messy message, hang or memory blow-up', async () => {
    const { code, out, err } = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', 'fuzz/main.ts', '--only', 'specs,terms,params,flags', '--n', '10', '--seed', '7', '--json', '--timeout-ms', '10000'], { encoding: 'utf8', timeout: 170_000, maxBuffer: 1 << 24 }, (e, o, r) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out: o, err: r }),
      ),
    );
    const report = JSON.parse(out) as { failed: number; campaigns: { campaign: string; cases: number; failures: unknown[] }[] };
    expect(report.campaigns.map((c) => c.campaign)).toEqual(expect.arrayContaining(['specs', 'terms', 'params', 'flags']));
    for (const c of report.campaigns) expect(c.cases).toBe(10);
    expect(report.campaigns.flatMap((c) => c.failures), err.slice(-2000)).toEqual([]);
    expect(code).toBe(0);
  }, 180_000);
});
