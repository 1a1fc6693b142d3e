/**
 * The token alphabet of model strings.
 *
 * A token is one character of {@link ALPHABET}; its index is its position there. Every other
 * character (spaces, newlines, other punctuation, any non-ASCII code point) is skipped by the decoder,
 * so strings may be spaced for reading and random bytes still decode.
 */

/** Every token, in index order: digits, capital letters, small letters, then punctuation. */
export const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz[](){}+*~:/,';

/** Number of tokens. */
export const TOKENS = ALPHABET.length;

const INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

/** Index of a character in the alphabet, or -1 if it is not a token (it is skipped). */
export const tokenIndex = (ch: string): number => {
  const c = ch.charCodeAt(0);
  return c < 128 ? INDEX[c]! : -1;
};

/** The token indices of a string, skipping every character outside the alphabet. */
export const tokenize = (s: string): Int16Array => {
  const out = new Int16Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      const k = INDEX[c]!;
      if (k >= 0) out[n++] = k;
    }
  }
  return out.subarray(0, n);
};

/** The character of a token index. */
export const tokenChar = (i: number): string => ALPHABET[i]!;

/** True for the ten digit tokens (indices 0–9, so a digit's index is its value). */
export const isDigit = (i: number): boolean => i >= 0 && i < 10;

/** Index of the separator `,` that may end a number. */
export const COMMA = tokenIndex(',');
