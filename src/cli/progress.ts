/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every tenth of the run otherwise
 * (so logs stay readable).
 */
import type { Io } from './io';

export interface Progress {
  update(step: number, loss: number): void;
  done(): void;
}

const fmtTime = (s: number): string => (s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);

/** A bar for steps `first .. first + total - 1`. */
export const progressBar = (io: Io, first: number, total: number, width = 30): Progress => {
  const t0 = io.now();
  let lastDraw = -Infinity;
  let lastTenth = -1;
  let drawn = false;
  const line = (step: number, loss: number): string => {
    const doneSteps = step - first + 1;
    const frac = total ? doneSteps / total : 1;
    const fill = Math.round(frac * width);
    const secs = (io.now() - t0) / 1000;
    const rate = doneSteps / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (total - doneSteps) / rate : 0;
    return `step ${String(step + 1).padStart(String(first + total).length)}/${first + total} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] loss ${loss.toPrecision(5)}  ${rate.toFixed(1)} it/s  ${fmtTime(secs)} elapsed, ${fmtTime(eta)} left`;
  };
  return {
    update(step, loss) {
      const doneSteps = step - first + 1;
      if (io.errIsTTY) {
        const now = io.now();
        if (now - lastDraw > 80 || doneSteps === total) {
          io.err(`\r${line(step, loss)}\u001b[K`);
          lastDraw = now;
          drawn = true;
        }
        return;
      }
      const tenth = Math.floor((10 * doneSteps) / Math.max(total, 1));
      if (tenth !== lastTenth && (tenth > lastTenth || doneSteps === total)) {
        lastTenth = tenth;
        io.err(`${line(step, loss)}\n`);
      }
    },
    done() {
      if (drawn) io.err('\n');
    },
  };
};
