/**
 * A spec in a URL: `#spec=` followed by the spec's text, deflated (raw DEFLATE) and base64url-encoded,
 * so a link carries the whole spec and nothing is stored anywhere.
 */

const PREFIX = '#spec=';

const toBase64Url = (bytes: Uint8Array): string => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const fromBase64Url = (s: string): Uint8Array<ArrayBuffer> => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};

const pipe = async (bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());

/** The URL fragment that carries `text`. */
export const encodeSpecHash = async (text: string): Promise<string> =>
  PREFIX + toBase64Url(await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw')));

/** The spec text a URL fragment carries; undefined when it carries none, an error message when it is damaged. */
export const decodeSpecHash = async (hash: string): Promise<{ text: string } | { error: string } | undefined> => {
  if (!hash.startsWith(PREFIX)) return undefined;
  try {
    const bytes = await pipe(fromBase64Url(hash.slice(PREFIX.length)), new DecompressionStream('deflate-raw'));
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch (e) {
    return { error: `the link's spec could not be read (${(e as Error).message}); showing an example instead` };
  }
};
