// Draws docs/architecture.svg, the one picture of docs/architecture.md: a term and its
// interpretations. Run: node scripts/architecture-figure.mjs > docs/architecture.svg
// Box widths come from the text (0.62 em per character at 12px, bold titles 0.66 em), so nothing clips.

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const W = 900;
const H = 470;
const boxes = [];
const arrows = [];

/** A box at (x, y) with a bold title and lines of smaller text; returns its geometry. */
const box = (id, x, y, title, lines, cls = 'box') => {
  const w = Math.ceil(Math.max(title.length * 12 * 0.66, ...lines.map((l) => l.length * 11 * 0.62)) + 20);
  const h = 24 + 15 * lines.length;
  const b = { id, x, y, w, h, title, lines, cls };
  boxes.push(b);
  return b;
};
const right = (b) => [b.x + b.w, b.y + b.h / 2];
const left = (b) => [b.x, b.y + b.h / 2];
const top = (b) => [b.x + b.w / 2, b.y];
const bottom = (b) => [b.x + b.w / 2, b.y + b.h];
const arrow = (from, to, label, dash = false, at) => arrows.push({ from, to, label, dash, at });

const spec = box('spec', 20, 170, 'spec file (JSON)', ['decoded by io-ts', 'src/term/codec.ts']);
const ts = box('ts', 250, 170, 'TypeScript', ['prim, seq, par, skip,', 'named, wires(…)']);
const term = box('term', 20, 300, 'Term', ["op 'prim' | 'seq' | 'par'", 'attrs, variant, name']);
const typed = box('typed', 250, 300, 'TypedModel', ['shapes, params, cost', 'or a SpecError at a path']);
const plan = box('plan', 480, 110, 'Plan (JSON)', ['variants, remat,', 'schedules']);
const planned = box('planned', 480, 235, 'PlannedModel', ['applyPlan: the plan', 'resolved once']);
const cost = box('cost', 700, 20, 'cost, memory, planner', ['src/plan', 'frontier, Revolve']);
const svg = box('svg', 700, 110, 'SVG diagram', ['src/render']);
const prog = box('prog', 700, 185, 'Program = Para optic', ['src/lower: paraSeqs,', 'paraPars, checkpointed,', 'recompute, kernelOptic']);
const trainB = box('train', 700, 330, 'train', ['reparamLens(program,', 'transfer, optimiser)']);
const core = box('core', 480, 330, 'optic core', ['src/optic: Lens, Optic,', 'Para, TwoCell']);
const kernels = box('kernels', 480, 405, 'kernels (values)', ['jsKernels, wasmKernels', 'backend.kernel(name)']);
const laws = box('laws', 20, 405, 'laws/', ['T1/T2, functoriality,', 'plan invariance, memory']);

arrow(bottom(spec), top(term), 'decode');
arrow(bottom(ts), [term.x + term.w - 20, term.y], 'builds');
arrow(right(term), left(typed), 'check');
arrow([typed.x + typed.w, typed.y + 12], [planned.x, planned.y + planned.h - 12], '');
arrow(bottom(plan), top(planned), '');
arrow([planned.x + planned.w, planned.y + 10], left(cost), '');
arrow([planned.x + planned.w, planned.y + 22], left(svg), '');
arrow([planned.x + planned.w, planned.y + planned.h / 2 + 8], [prog.x, prog.y + prog.h / 2], 'lower');
arrow([core.x + core.w, core.y + 14], [prog.x, prog.y + prog.h - 14], 'built from', true);
arrow([kernels.x + kernels.w, kernels.y + 14], [prog.x + 14, prog.y + prog.h], 'looked up', true, [664, 400]);
arrow(bottom(prog), top(trainB), '');
arrow(right(laws), left(core), 'check', true);

const out = [];
out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`);
out.push('<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#334e68"/></marker></defs>');
out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
for (const a of arrows) {
  const [x0, y0] = a.from;
  const [x1, y1] = a.to;
  const mx = (x0 + x1) / 2;
  const d = Math.abs(y0 - y1) < 1 || Math.abs(x0 - x1) < 1 ? `M${x0},${y0}L${x1},${y1}` : `M${x0},${y0}C${mx},${y0} ${mx},${y1} ${x1},${y1}`;
  out.push(`<path d="${d}" fill="none" stroke="#334e68" stroke-width="1.3"${a.dash ? ' stroke-dasharray="5 3"' : ''} marker-end="url(#head)"/>`);
  if (a.label) {
    const vertical = Math.abs(x0 - x1) < 1;
    const start = vertical || a.at;
    const [lx, ly] = a.at ?? (vertical ? [x0 + 6, (y0 + y1) / 2 + 4] : [(x0 + x1) / 2, (y0 + y1) / 2 - 5]);
    out.push(`<text x="${lx}" y="${ly}" font-size="11" fill="#7b341e"${start ? '' : ' text-anchor="middle"'}>${esc(a.label)}</text>`);
  }
}
for (const b of boxes) {
  const fill = b.id === 'term' ? '#fff3c4' : b.id === 'laws' ? '#e3f8e9' : '#eef4fb';
  out.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="${fill}" stroke="#2b5d8c" stroke-width="1.3"/>`);
  out.push(`<text x="${b.x + 10}" y="${b.y + 17}" font-size="12" font-weight="600" fill="#102a43">${esc(b.title)}</text>`);
  b.lines.forEach((l, i) => out.push(`<text x="${b.x + 10}" y="${b.y + 33 + 15 * i}" font-size="11" fill="#486581">${esc(l)}</text>`));
}
out.push('</svg>');
const overflow = boxes.filter((b) => b.x + b.w > W - 4 || b.y + b.h > H - 4);
if (overflow.length) throw new Error(`boxes outside the picture: ${overflow.map((b) => b.id).join(', ')}`);
process.stdout.write(out.join('\n') + '\n');
