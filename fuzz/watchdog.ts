/**
 * Runs fuzz cases in a child process under a time and memory budget. A case that uses more CPU time
 * than the budget (or, waiting, more than ten times it in wall-clock time) is a `hang`, one whose
 * resident memory grows past the memory budget is `memory`, one that kills the process otherwise is a
 * `crash`; the child is then replaced and the run goes on. CPU time, because on a shared machine wall
 * clock measures the other users: at a load of 16 on two cores, cases of 0.1 to 0.8 s of CPU took 2 to 4 s.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Budget, Verdict } from './campaign';
import type { CaseReport, CaseRequest, SetupReport } from './child';

/** A case's outcome as the parent saw it. */
export interface Outcome {
  readonly index: number;
  readonly verdict: Verdict | 'hang' | 'memory' | 'crash';
  readonly detail?: string;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Wall-clock time of the case. */
  readonly ms: number;
  /** CPU time of the case (the child's, all its threads). */
  readonly cpuMs: number;
  readonly peakBytes: number;
}

/** How the child process runs. */
export interface ChildOptions {
  /** The child's V8 heap limit (--max-old-space-size), MiB. */
  readonly heapMb: number;
}

/** A case waiting (using no CPU) is a hang after this many times its CPU budget in wall-clock time. */
const WALL_FACTOR = 10;

/** How long a campaign's setup may take (loading a backend), outside every case's budget. */
const SETUP_MS = 120_000;

const rssOf = (pid: number): number => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** CPU time used so far by process `pid`, in ms (/proc's clock ticks are 1/100 s). */
const cpuOf = (pid: number): number => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
};

const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));

/** One child process at a time, replaced whenever a case kills it. */
export class Watchdog {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private stderr = '';
  /** Campaigns set up in the current child. */
  private setUp = new Set<string>();
  constructor(readonly options: ChildOptions) {}

  private spawn(): Promise<void> {
    this.stderr = '';
    this.setUp = new Set();
    const child = fork(childPath, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${this.options.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m.ready) {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`fuzz child exited during start-up (code ${code}): ${this.stderr}`)));
    });
  }

  /** Set a campaign up in the child (once per child); rejects if its setup fails or takes too long. */
  private async setup(campaign: string): Promise<void> {
    if (this.setUp.has(campaign)) return;
    const child = this.child!;
    const r = await new Promise<SetupReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the setup of ${campaign} took over ${SETUP_MS} ms`)), SETUP_MS);
      const onMsg = (m: SetupReport) => {
        if (m.setupDone === campaign) {
          clearTimeout(timer);
          child.off('message', onMsg);
          resolve(m);
        }
      };
      child.on('message', onMsg);
      child.send({ setup: campaign });
    });
    if (r.error) throw new Error(`the setup of ${campaign} failed: ${r.error}`);
    this.setUp.add(campaign);
  }

  /** Run one case within `budget`; never rejects for the case's own misbehaviour. */
  async run(req: CaseRequest, budget: Budget): Promise<Outcome> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.spawn();
    await this.ready;
    await this.setup(req.campaign);
    const child = this.child!;
    const pid = child.pid!;
    const base = rssOf(pid);
    const cpu0 = cpuOf(pid);
    const t0 = performance.now();
    return new Promise<Outcome>((resolve) => {
      let done = false;
      let peak = 0;
      const finish = (o: Outcome, kill: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (kill) {
          child.kill('SIGKILL');
          this.child = undefined;
        }
        resolve(o);
      };
      const onMsg = (m: CaseReport) => {
        if (m.index === req.index) {
          const peakBytes = Math.max(m.peakBytes, peak);
          // A case may finish between two polls: its own peak counts against the budget too.
          const over =
            peakBytes > budget.memoryBytes
              ? { verdict: 'memory' as const, detail: `resident memory grew by ${(peakBytes / 2 ** 20).toFixed(0)} MiB` }
              : m.cpuMs > budget.timeoutMs
                ? { verdict: 'hang' as const, detail: `finished, but used ${m.cpuMs.toFixed(0)} ms of CPU time` }
                : undefined;
          finish({ index: m.index, verdict: m.verdict, ...(m.detail ? { detail: m.detail } : {}), ...(m.metrics ? { metrics: m.metrics } : {}), ms: m.ms, cpuMs: m.cpuMs, peakBytes, ...over }, false);
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        const heap = /heap out of memory|Allocation failed/i.test(this.stderr);
        this.child = undefined;
        finish(
          {
            index: req.index,
            verdict: heap ? 'memory' : 'crash',
            detail: `the process died (${signal ?? `exit ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(0, 3).join(' | ').slice(0, 300)}` : ''}`,
            ms: performance.now() - t0,
            cpuMs: lastCpu,
            peakBytes: peak,
          },
          false,
        );
      };
      let lastCpu = 0;
      const wallMs = WALL_FACTOR * budget.timeoutMs;
      const timer = setTimeout(
        () => finish({ index: req.index, verdict: 'hang', detail: `no answer within ${wallMs} ms of wall-clock time`, ms: performance.now() - t0, cpuMs: lastCpu, peakBytes: peak }, true),
        wallMs,
      );
      const poll = setInterval(() => {
        const grown = rssOf(pid) - base;
        peak = Math.max(peak, grown);
        lastCpu = Math.max(lastCpu, cpuOf(pid) - cpu0);
        if (grown > budget.memoryBytes)
          finish({ index: req.index, verdict: 'memory', detail: `resident memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`, ms: performance.now() - t0, cpuMs: lastCpu, peakBytes: grown }, true);
        else if (lastCpu > budget.timeoutMs)
          finish({ index: req.index, verdict: 'hang', detail: `over ${budget.timeoutMs} ms of CPU time`, ms: performance.now() - t0, cpuMs: lastCpu, peakBytes: peak }, true);
      }, 20);
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send(req);
    });
  }

  /** End the child process. */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}
