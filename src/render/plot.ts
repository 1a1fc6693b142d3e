/**
 * Small SVG line plots (loss curves, frontiers) as strings, with no dependencies.
 */
import { esc, fmtNum } from './svg';
import { charsIn, svgText, textWidth, wrapText } from './text';

/** One series of a plot. */
export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
  /** Draw markers at the points (for sparse series such as a frontier). */
  readonly markers?: boolean;
}

export interface PlotOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** Logarithmic y axis (values ≤ 0 are dropped). */
  readonly logY?: boolean;
  readonly logX?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** "Nice" tick values covering [lo, hi]. */
export const ticks = (lo: number, hi: number, n = 5): number[] => {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
};

/** Ticks 1·10^k, 2·10^k, 5·10^k within [lo, hi] (both > 0), for a logarithmic axis. */
export const logTicks = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out.length >= 2 ? out : [lo, hi];
};

/**
 * A line plot as a standalone SVG document.
 *
 * @example
 * linePlot([{ label: 'loss', points: losses.map((l, i) => [i, l]) }], { logY: true, xLabel: 'step' })
 */
export const linePlot = (series: readonly Series[], o: PlotOptions = {}): string => {
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  // Long titles wrap (two lines at most, then abbreviated with the full title as a tooltip).
  const title = o.title ? wrapText(o.title, charsIn(W - 20, 14), 2) : undefined;
  const m = { l: 70, r: 20, t: title ? 16 + 18 * title.lines.length : 14, b: 46 };
  const fy = (v: number) => (o.logY ? Math.log10(v) : v);
  const fx = (v: number) => (o.logX ? Math.log10(v) : v);
  const pts = series.map((s) => s.points.filter(([x, y]) => Number.isFinite(y) && Number.isFinite(x) && (!o.logY || y > 0) && (!o.logX || x > 0)));
  const all = pts.flat();
  let [x0, x1] = all.length ? [Math.min(...all.map((p) => fx(p[0]))), Math.max(...all.map((p) => fx(p[0])))] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => fy(p[1]))), Math.max(...all.map((p) => fy(p[1])))] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  if (series.some((s) => s.markers)) {
    const px = (x1 - x0) * 0.04;
    x0 -= px;
    x1 += px;
  }
  const xTicks = o.logX ? logTicks(10 ** x0, 10 ** x1) : ticks(x0, x1);
  const yTicks = o.logY ? logTicks(10 ** y0, 10 ** y1) : ticks(y0, y1);
  // Room for the widest y tick label on the left and half of the last x tick label on the right.
  m.l = Math.max(m.l, 18 + Math.max(0, ...yTicks.map((v) => textWidth(fmtTick(v), 12))) + 9 + 12);
  m.r = Math.max(m.r, 4 + Math.max(0, ...xTicks.map((v) => textWidth(fmtTick(v), 12) / 2)));
  const sx = (x: number) => m.l + ((fx(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((fy(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  title?.lines.forEach((l, i) => out.push(svgText(W / 2, 20 + 18 * i, l, 'text-anchor="middle" font-size="14"', i === 0 && title.cut ? o.title : undefined)));
  // Axes and ticks.
  out.push(`<path d="M${m.l},${m.t}V${H - m.b}H${W - m.r}" fill="none" stroke="#333"/>`);
  for (const v of xTicks) {
    const x = sx(v);
    out.push(`<line x1="${fmtNum(x)}" y1="${H - m.b}" x2="${fmtNum(x)}" y2="${H - m.b + 4}" stroke="#333"/>`);
    out.push(`<text x="${fmtNum(x)}" y="${H - m.b + 17}" text-anchor="middle">${esc(fmtTick(v))}</text>`);
  }
  // Tick values in data space, placed through the (possibly logarithmic) axis.
  for (const v of yTicks) {
    const y = sy(v);
    out.push(`<line x1="${m.l - 4}" y1="${fmtNum(y)}" x2="${W - m.r}" y2="${fmtNum(y)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 7}" y="${fmtNum(y + 4)}" text-anchor="end">${esc(fmtTick(v))}</text>`);
  }
  if (o.xLabel) out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  if (o.yLabel) out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length]!;
    const p = pts[i]!;
    if (p.length) out.push(`<path d="${p.map(([x, y], j) => `${j ? 'L' : 'M'}${fmtNum(sx(x))},${fmtNum(sy(y))}`).join('')}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    if (s.markers) for (const [x, y] of p) out.push(`<circle cx="${fmtNum(sx(x))}" cy="${fmtNum(sy(y))}" r="3" fill="${c}"/>`);
  });
  // The legend, top right inside the plot on a white card, as wide as its longest label (at most
  // 60% of the plot; longer labels wrap, three lines at most, then abbreviate with a tooltip).
  const maxChars = charsIn(0.6 * (W - m.l - m.r) - 40, 12);
  const entries = series.map((s) => ({ s, ...wrapText(s.label, maxChars, 3) }));
  const textW = Math.max(0, ...entries.flatMap((e) => e.lines.map((l) => textWidth(l, 12))));
  const lx = W - m.r - 40 - textW;
  const nLines = entries.reduce((n, e) => n + e.lines.length, 0);
  if (entries.length) out.push(`<rect x="${fmtNum(lx - 6)}" y="${m.t + 2}" width="${fmtNum(textW + 40)}" height="${16 * nLines + 8}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`);
  let row = 0;
  entries.forEach((e, i) => {
    const c = e.s.color ?? COLORS[i % COLORS.length]!;
    out.push(`<line x1="${fmtNum(lx)}" y1="${m.t + 10 + 16 * row}" x2="${fmtNum(lx + 20)}" y2="${m.t + 10 + 16 * row}" stroke="${c}" stroke-width="2"/>`);
    e.lines.forEach((l, j) => out.push(svgText(lx + 25, m.t + 14 + 16 * (row + j), l, '', j === 0 && e.cut ? e.s.label : undefined)));
    row += e.lines.length;
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
};

const fmtTick = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  for (const [m, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const)
    if (a >= 1e4 && a >= m) return `${Number((v / m).toPrecision(3))}${suffix}`;
  if (a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
};
