/** Helpers shared by the SVG renderers. */

/** Escape text for SVG/XML content and attribute values. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** A coordinate with at most two decimals. */
export const fmtNum = (v: number): string => String(Math.round(v * 100) / 100);
