/**
 * The watchdog's child process: runs the cases it is sent, one at a time, and reports each one's
 * verdict, time and peak memory. The parent kills it when a case runs too long or grows too large.
 */
import * as fs from 'node:fs';
import { campaigns } from './campaigns';
import type { CaseResult } from './campaign';

/** A case to run. */
export interface CaseRequest {
  readonly campaign: string;
  readonly seed: number;
  readonly index: number;
}

/** What the child reports for a case. */
export interface CaseReport extends CaseResult {
  readonly index: number;
  readonly ms: number;
  /** Growth of the resident set during the case: peak (VmHWM, reset before the case) minus the start. */
  readonly peakBytes: number;
}

const statusKb = (field: 'VmRSS' | 'VmHWM'): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};

/** Reset the peak-RSS mark (Linux: writing 5 to clear_refs), so VmHWM is this case's peak. */
const resetPeak = (): boolean => {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', async (m: CaseRequest) => {
  const c = campaigns.find((x) => x.name === m.campaign);
  // Collect the previous case's garbage first, so its pages are not counted (or reused) as this one's.
  gc?.();
  const exact = resetPeak();
  const rss0 = statusKb('VmRSS');
  const t0 = performance.now();
  let res: CaseResult;
  try {
    res = c ? await c.run(m.seed, m.index) : { verdict: 'uncaught', detail: `no campaign ${m.campaign}` };
  } catch (e) {
    res = { verdict: 'uncaught', detail: `the case threw: ${String((e as Error)?.stack ?? e).slice(0, 400)}` };
  }
  const ms = performance.now() - t0;
  const peak = exact ? statusKb('VmHWM') : statusKb('VmRSS');
  const report: CaseReport = { ...res, index: m.index, ms, peakBytes: Math.max(0, peak - rss0) };
  process.send!(report);
});
process.send!({ ready: true });
