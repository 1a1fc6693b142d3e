/**
 * Model strings: a compact form in which every string decodes to a well-typed model (after
 * SELFIES). `decodeModel` is total, `encodeModel` inverts it up to `normalForm`.
 *
 * @packageDocumentation
 */
export { ALPHABET, TOKENS, tokenIndex, tokenize, tokenChar } from './alphabet';
export { type DecodeOptions, type Decoded, type TraceEvent, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ELEMS, decodeModel, decodeWith } from './decode';
export { type EncodeIssue, encodeModel, printModel, showEncodeIssue } from './encode';
export { inferIds } from './ids';
export { normalForm, termEquals, termKey } from './normal';
export type { Wire as StringWire } from './wire';
