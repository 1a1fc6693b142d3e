/**
 * A problem with a model term, found before anything runs: it names where (the node's path in the
 * term, and the primitive if there is one) and what was expected.
 */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(
    /** Path of the offending node, e.g. `["blocks", "3", "attn"]`. Empty for the root. */
    readonly path: readonly string[],
    /** What is wrong, with the expected and actual values. */
    readonly detail: string,
    /** The primitive involved, if any. */
    readonly primitive?: string,
  ) {
    super(`${path.length ? path.join('.') : '<root>'}${primitive ? ` (${primitive})` : ''}: ${detail}`);
  }
}

export const showPath = (path: readonly string[]): string => (path.length ? path.join('.') : '<root>');
