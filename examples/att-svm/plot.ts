/** A small hand-written SVG line chart: correlation against iteration on a log axis. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly x: readonly number[];
  readonly mean: readonly number[];
  /** Optional band (min and max over runs). */
  readonly lo?: readonly number[];
  readonly hi?: readonly number[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const lineChartSvg = (title: string, series: readonly Series[], xMax: number, yMin = -0.2, yMax = 1): string => {
  const W = 720;
  const H = 420;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  // log10(1 + k) so that iteration 0 sits on the axis.
  const sx = (k: number) => m.l + (Math.log10(1 + k) / Math.log10(1 + xMax)) * pw;
  const sy = (v: number) => m.t + (1 - (v - yMin) / (yMax - yMin)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let v = Math.ceil(yMin * 5) / 5; v <= yMax + 1e-9; v += 0.2) {
    const y = sy(v).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${v.toFixed(1)}</text>`);
  }
  for (let e = 0; 10 ** e <= xMax; e++) {
    const x = sx(10 ** e).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${10 ** e}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">iteration (log scale)</text>`);
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">correlation with SVM solution</text>`);
  series.forEach((s, i) => {
    if (s.lo && s.hi) {
      const top = s.x.map((k, j) => `${sx(k).toFixed(1)},${sy(s.hi![j]!).toFixed(1)}`);
      const bot = s.x.map((k, j) => `${sx(k).toFixed(1)},${sy(s.lo![j]!).toFixed(1)}`).reverse();
      out.push(`<polygon points="${[...top, ...bot].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const pts = s.x.map((k, j) => `${sx(k).toFixed(1)},${sy(s.mean[j]!).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const ly = m.t + 16 + i * 18;
    out.push(`<line x1="${m.l + 12}" x2="${m.l + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${m.l + 42}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
};
