/**
 * What a fuzz campaign is: a deterministic generator of inputs and a judge of what catoptric did with
 * them. `fuzz/main.ts` runs every campaign listed in `fuzz/campaigns.ts`.
 */

/** The judged result of one case. */
export interface CaseResult {
  readonly ok: boolean;
  /** What went wrong (failures), for the report. */
  readonly detail?: string;
  /** Counts and times the campaign wants summed over its cases (e.g. decodes and microseconds). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** A fuzz campaign. `run(seed, i)` is a pure function of `(seed, i)`, so any case can be rerun alone. */
export interface Campaign {
  readonly name: string;
  /** One line: what it generates and what it checks. */
  readonly doc: string;
  /** Cases run when `--n` is not given. */
  readonly defaultCases: number;
  /** Work before the first case (loading a backend). */
  setup?(): Promise<void>;
  run(seed: number, index: number): CaseResult | Promise<CaseResult>;
  /** The generated input of case `i`, to reproduce a failure (`--case I --show`). */
  show?(seed: number, index: number): string;
  /** Lines for the summary from the summed metrics (e.g. time per decode). */
  report?(metrics: Readonly<Record<string, number>>): string[];
}
