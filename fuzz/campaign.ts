/**
 * What a fuzz campaign is: a deterministic generator of inputs and a judge of what catoptric did with
 * each one. `fuzz/main.ts` runs every campaign listed in `fuzz/campaigns.ts`, each case in a watchdog
 * process with a time and memory budget (`fuzz/watchdog.ts`).
 */

/**
 * How one case ended. `ok` and `refused` (a clean message) are fine; the rest are failures:
 * `wrong` (a law or promise about the result was broken: a decoded model that does not check, two
 * backends that disagree), `uncaught` (an exception escaped an API that promises not to throw),
 * `internal` (the CLI's "internal error" path, reserved for real bugs), `messy` (a stack trace,
 * `[object Object]`, `undefined`, `NaN` or a long message shown to the user).
 */
export type Verdict = 'ok' | 'refused' | 'wrong' | 'uncaught' | 'internal' | 'messy';

/** The judged result of one case. */
export interface CaseResult {
  readonly verdict: Verdict;
  /** What went wrong (failures), for the report. */
  readonly detail?: string;
  /** Counts and times the campaign wants summed over its cases (e.g. decodes and microseconds). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** What one case may use before the watchdog kills it. */
export interface Budget {
  /** CPU time per case (a case that waits is stopped after ten times this in wall-clock time). */
  readonly timeoutMs: number;
  /** Growth of resident memory per case. */
  readonly memoryBytes: number;
}

/** The budget of a case unless its campaign says otherwise: 2 s and 200 MB, as the reliability issue asks. */
export const DEFAULT_BUDGET: Budget = { timeoutMs: 2000, memoryBytes: 200 * 2 ** 20 };

/** A fuzz campaign. `run(seed, i)` must be a pure function of `(seed, i)` so any case can be rerun alone. */
export interface Campaign {
  readonly name: string;
  /** One line: what it generates and what it checks. */
  readonly doc: string;
  /** Cases run when `--n` is not given. */
  readonly defaultCases: number;
  /**
   * A case's budget when it is not {@link DEFAULT_BUDGET}, with the reason (campaigns whose cases are
   * batches of many inputs).
   */
  readonly budget?: Budget & { readonly why: string };
  /** Work before the first case, outside every case's budget (loading a backend). */
  setup?(): Promise<void>;
  /** Run case `i` of the campaign with `seed` and judge it. */
  run(seed: number, index: number): CaseResult | Promise<CaseResult>;
  /** The generated input of case `i`, for reproducing a failure (`--case I --show`). */
  show?(seed: number, index: number): string | Promise<string>;
  /** Lines for the summary from the summed metrics (e.g. time per decode). */
  report?(metrics: Readonly<Record<string, number>>): string[];
}

/** Failure verdicts, in the order summaries print them (the last three are the watchdog's). */
export const FAILURES = ['wrong', 'uncaught', 'internal', 'messy', 'hang', 'memory', 'crash'] as const;
export type Failure = (typeof FAILURES)[number];

/** Text no message to a user may contain: internals and values that were never meant to be printed. */
const MESSY: readonly [RegExp, string][] = [
  [/internal error/, '"internal error"'],
  [/\n\s+at \S/, 'a stack trace'],
  [/\[object \w+\]/, '"[object ...]"'],
  // (A user's own text, quoted as showValue and showName quote it, may say anything.)
  [/(?<!["'])\bundefined\b(?!["'])/, '"undefined"'],
  [/(?<!["'])\bNaN\b(?!["'])/, '"NaN"'],
  [/Cannot read propert|is not a function|is not iterable|Maximum call stack|Invalid array length|Invalid typed array length|out of memory/i, 'a raw JavaScript error'],
];

/** What is wrong with a message shown to a user (`null` if nothing): see {@link MESSY}, and at most `maxLines` lines. */
export const messProblem = (text: string, maxLines = 6): string | null => {
  for (const [re, what] of MESSY) if (re.test(text)) return `${what} in: ${clip(text)}`;
  const lines = text.replace(/\n$/, '').split('\n').length;
  if (lines > maxLines) return `${lines} lines (at most ${maxLines}): ${clip(text)}`;
  return null;
};

/** The first 300 characters of a text, on one line. */
export const clip = (s: string, n = 300): string => {
  const one = s.replace(/\n/g, '⏎');
  return one.length > n ? `${one.slice(0, n)}…` : one;
};
