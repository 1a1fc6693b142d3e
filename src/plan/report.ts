import type { PlanPoint } from './planner';

const fmtBytes = (b: number): string =>
  b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(2)} MiB` : b >= 2 ** 10 ? `${(b / 2 ** 10).toFixed(1)} KiB` : `${b} B`;
const fmtFlops = (f: number): string => (f >= 1e9 ? `${(f / 1e9).toFixed(3)} G` : f >= 1e6 ? `${(f / 1e6).toFixed(3)} M` : f >= 1e3 ? `${(f / 1e3).toFixed(1)} k` : `${f}`);

/** Parse a byte size: `65536`, `64KiB`, `64MiB`, `1.5GiB` (also KB/MB/GB as powers of 1024). */
export const parseBytes = (s: string): number => {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(B|KiB|MiB|GiB|KB|MB|GB|k|M|G)?\s*$/i.exec(s);
  if (!m) throw new Error(`cannot read '${s}' as a byte size; try 65536, 64KiB or 64MiB`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult = unit.startsWith('g') ? 2 ** 30 : unit.startsWith('m') ? 2 ** 20 : unit.startsWith('k') ? 2 ** 10 : 1;
  return Math.floor(Number(m[1]) * mult);
};

const same = (a: PlanPoint, b?: PlanPoint): boolean => !!b && a.peakBytes === b.peakBytes && a.flops === b.flops && a.label === b.label;

/** The frontier as a fixed-width text table, the chosen plan marked with `*`. */
export const frontierTable = (frontier: readonly PlanPoint[], chosen?: PlanPoint): string => {
  const rows = frontier.map((p) => [same(p, chosen) ? '*' : ' ', fmtBytes(p.peakBytes), String(p.peakBytes), fmtFlops(p.flops), fmtFlops(p.recomputeFlops), p.label]);
  const head = [' ', 'peak', 'bytes', 'flops', 'recompute', 'plan'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The frontier as a standalone SVG: peak memory (x) against total flops (y), a step line through the
 * Pareto points, the chosen plan ringed and labelled.
 */
export const frontierSvg = (frontier: readonly PlanPoint[], chosen?: PlanPoint, title = 'Peak memory against flops'): string => {
  const W = 640, H = 420, L = 80, R = 20, T = 40, B = 60;
  const xs = frontier.map((p) => p.peakBytes);
  const ys = frontier.map((p) => p.flops);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0 || 1)) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle">peak memory (${fmtBytes(x0)} … ${fmtBytes(x1)})</text>`,
    `<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">flops (${fmtFlops(y0)} … ${fmtFlops(y1)})</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" font-size="10">${fmtBytes(Math.round(x))}</text>`);
    parts.push(`<text x="${L - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="10">${fmtFlops(Math.round(y))}</text>`);
  }
  const pts = frontier.map((p) => `${sx(p.peakBytes).toFixed(1)},${sy(p.flops).toFixed(1)}`);
  const step: string[] = [];
  frontier.forEach((p, i) => {
    if (i > 0) step.push(`${sx(p.peakBytes).toFixed(1)},${sy(frontier[i - 1]!.flops).toFixed(1)}`);
    step.push(pts[i]!);
  });
  parts.push(`<polyline points="${step.join(' ')}" fill="none" stroke="#4a7ab0" stroke-width="1.5"/>`);
  frontier.forEach((p) => parts.push(`<circle cx="${sx(p.peakBytes).toFixed(1)}" cy="${sy(p.flops).toFixed(1)}" r="3.5" fill="#4a7ab0"><title>${esc(p.label)}: ${p.peakBytes} B, ${p.flops} flops</title></circle>`));
  if (chosen) {
    const cx = sx(chosen.peakBytes), cy = sy(chosen.flops);
    parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="8" fill="none" stroke="#c0392b" stroke-width="2"/>`);
    parts.push(`<text x="${(cx + 10).toFixed(1)}" y="${(cy - 10).toFixed(1)}" fill="#c0392b">chosen: ${esc(chosen.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
};
