/**
 * Measuring and fitting text for the SVG renderers, without a DOM: widths are estimated from the
 * font size (0.6 em a character, 0.65 em bold — exact for the usual monospace fonts and generous for
 * proportional ones), so layouts leave room for what they print and nothing clips. Text too long for
 * its place is wrapped at spaces or abbreviated with `…`, and the full text goes in a `<title>`
 * (a tooltip) by {@link svgText}.
 */
import { esc, fmtNum } from './svg';

/** Estimated width in pixels of `s` at `size` pixels. */
export const textWidth = (s: string, size: number, bold = false): number => [...s].length * size * (bold ? 0.65 : 0.6);

/** How many characters fit in `px` pixels at `size`. */
export const charsIn = (px: number, size: number, bold = false): number => Math.max(1, Math.floor(px / (size * (bold ? 0.65 : 0.6))));

/** `s` cut to at most `max` characters, ending with `…` when cut. */
export const abbreviate = (s: string, max: number): string => {
  const cs = [...s];
  return cs.length <= max ? s : `${cs.slice(0, Math.max(1, max - 1)).join('')}…`;
};

/**
 * `s` broken into lines of at most `max` characters, at spaces where possible (a word longer than a
 * line is cut), and at most `maxLines` lines: the last is abbreviated if text remains. `cut` says
 * whether anything was left out.
 */
export const wrapText = (s: string, max: number, maxLines = Infinity): { lines: string[]; cut: boolean } => {
  const lines: string[] = [];
  let cur = '';
  const push = (l: string) => lines.push(l);
  for (const word of s.split(/\s+/).filter(Boolean)) {
    let w = word;
    while ([...w].length > max) {
      if (cur) {
        push(cur);
        cur = '';
      }
      push([...w].slice(0, max).join(''));
      w = [...w].slice(max).join('');
    }
    if (!cur) cur = w;
    else if ([...cur].length + 1 + [...w].length <= max) cur += ` ${w}`;
    else {
      push(cur);
      cur = w;
    }
  }
  if (cur) push(cur);
  if (lines.length <= maxLines) return { lines, cut: false };
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = abbreviate(`${kept[maxLines - 1]} ${lines[maxLines]}`, max);
  return { lines: kept, cut: true };
};

/**
 * A `<text>` element; `full` (the text before it was shortened) becomes its `<title>` when it differs.
 * `attrs` is the rest of the element's attributes, already escaped.
 */
export const svgText = (x: number, y: number, text: string, attrs: string, full?: string): string =>
  `<text x="${fmtNum(x)}" y="${fmtNum(y)}"${attrs ? ` ${attrs}` : ''}>${full !== undefined && full !== text ? `<title>${esc(full)}</title>` : ''}${esc(text)}</text>`;
