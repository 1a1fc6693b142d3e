/**
 * Runs fuzz cases in a child process under a time and memory budget. A case that runs past the
 * time budget is a `hang`, one whose resident memory grows past the memory budget is `memory`,
 * one that kills the process otherwise is a `crash`; the child is then replaced and the run goes on.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Verdict } from './campaign';
import type { CaseReport, CaseRequest } from './child';

/** A case's outcome as the parent saw it. */
export interface Outcome {
  readonly index: number;
  readonly verdict: Verdict | 'hang' | 'memory' | 'crash';
  readonly detail?: string;
  readonly ms: number;
  readonly peakBytes: number;
}

export interface Budget {
  /** Wall-clock time per case. */
  readonly timeoutMs: number;
  /** Growth of the child's resident memory per case. */
  readonly memoryBytes: number;
  /** The child's V8 heap limit (--max-old-space-size), MiB. */
  readonly heapMb: number;
}

const rssOf = (pid: number): number => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
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
  constructor(readonly budget: Budget) {}

  private spawn(): Promise<void> {
    this.stderr = '';
    const child = fork(childPath, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${this.budget.heapMb}`],
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

  /** Run one case; never rejects for the case's own misbehaviour. */
  async run(req: CaseRequest): Promise<Outcome> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.spawn();
    await this.ready;
    const child = this.child!;
    const pid = child.pid!;
    const base = rssOf(pid);
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
        if (m.index === req.index) finish({ index: m.index, verdict: m.verdict, ...(m.detail ? { detail: m.detail } : {}), ms: m.ms, peakBytes: Math.max(m.peakBytes, peak) }, false);
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
            peakBytes: peak,
          },
          false,
        );
      };
      const timer = setTimeout(
        () => finish({ index: req.index, verdict: 'hang', detail: `no answer within ${this.budget.timeoutMs} ms`, ms: performance.now() - t0, peakBytes: peak }, true),
        this.budget.timeoutMs,
      );
      const poll = setInterval(() => {
        const grown = rssOf(pid) - base;
        peak = Math.max(peak, grown);
        if (grown > this.budget.memoryBytes)
          finish({ index: req.index, verdict: 'memory', detail: `resident memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`, ms: performance.now() - t0, peakBytes: grown }, true);
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
