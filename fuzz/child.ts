/**
 * The watchdog's child process: sets campaigns up when asked, runs the cases it is sent, one at a time,
 * and reports each one's verdict, metrics, time and peak memory. The parent kills it when a case runs
 * too long or grows too large.
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

/** A campaign to set up (its `setup`), before any of its cases and outside their budgets. */
export interface SetupRequest {
  readonly setup: string;
}

/** What the child reports for a case. */
export interface CaseReport extends CaseResult {
  readonly index: number;
  readonly ms: number;
  /** CPU time of the case, all threads of this process. */
  readonly cpuMs: number;
  /** Growth of the resident set during the case: peak (VmHWM, reset before the case) minus the start. */
  readonly peakBytes: number;
}

/** What the child reports for a setup. */
export interface SetupReport {
  readonly setupDone: string;
  readonly error?: string;
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
/** Heap in use above which the previous cases' garbage is collected before the next case. */
const GC_ABOVE = 64 * 2 ** 20;

const runCase = async (m: CaseRequest): Promise<CaseReport> => {
  const c = campaigns.find((x) => x.name === m.campaign);
  // Collect earlier cases' garbage first when there is much of it, so a collection it would force is
  // not this case's time. (Collecting before every case cost more than most cases.)
  if (gc && process.memoryUsage().heapUsed > GC_ABOVE) gc();
  const exact = resetPeak();
  const rss0 = statusKb('VmRSS');
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let res: CaseResult;
  try {
    res = c ? await c.run(m.seed, m.index) : { verdict: 'uncaught', detail: `no campaign ${m.campaign}` };
  } catch (e) {
    res = { verdict: 'uncaught', detail: `the case threw: ${String((e as Error)?.stack ?? e).slice(0, 400)}` };
  }
  const ms = performance.now() - t0;
  const u = process.cpuUsage(u0);
  const peak = exact ? statusKb('VmHWM') : statusKb('VmRSS');
  return { ...res, index: m.index, ms, cpuMs: (u.user + u.system) / 1000, peakBytes: Math.max(0, peak - rss0) };
};

const setUp = async (name: string): Promise<SetupReport> => {
  try {
    await campaigns.find((x) => x.name === name)?.setup?.();
    return { setupDone: name };
  } catch (e) {
    return { setupDone: name, error: String((e as Error)?.stack ?? e).slice(0, 400) };
  }
};

process.on('message', async (m: CaseRequest | SetupRequest) => {
  process.send!('setup' in m ? await setUp(m.setup) : await runCase(m));
});
process.send!({ ready: true });
