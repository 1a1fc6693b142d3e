/**
 * The picture interpretation: a checked term as an SVG string diagram.
 *
 * By structural recursion on the typed term: a primitive is a box with its input wires on the left
 * and outputs on the right; `seq` places boxes left to right and joins outputs to inputs with wires
 * labelled by their shapes; `par` stacks boxes. Structural primitives are drawn as wiring (copy is a
 * dot, add a ⊕, permute crossing wires, discard a ground), named composites as frames. Under every
 * primitive that keeps a residual for the backward pass hangs a dashed tag with its size and
 * variant; nodes a plan recomputes (lens form, or a segment of a checkpoint schedule) get an orange
 * frame, and each primitive says whether its residual is stored by the forward pass or recomputed
 * in the backward pass (`data-residual` on its `<g class="prim">`).
 *
 * @example
 * const svg = renderDiagram(checkOrThrow(term, [[8, 2]]), { title: 'mlp' });
 */
import { type TypedComposite, type TypedModel, type TypedNode, type TypedPrim, primNodeOrThrow } from '../term/check';
import { permuteDef } from '../prims/structural';
import { type PlannedModel, type PlannedNode, applyPlanOrThrow } from '../plan/apply';
import { simulate } from '../plan/memory';
import { type Plan, type Schedule, segmentRange } from '../plan/plan';
import { type Shape, showShape, sizeOf } from '../tensor/shape';
import { esc, fmtNum } from './svg';
import { abbreviate, charsIn, svgText, textWidth, wrapText } from './text';

/** Choices of a run that change the picture. */
export interface DiagramOptions {
  readonly title?: string;
  /** The plan to draw (residual variants, lens-form nodes, checkpoint schedules), resolved against the model by `applyPlan`. */
  readonly plan?: Plan | PlannedModel;
  /**
   * Forward runs per primitive path under the plan, as `simulate(model, plan).forwardCalls` predicts
   * them: a primitive run more than once is marked recomputed, with the count of its recomputations.
   * Without it, a primitive inside a lens-form node or a schedule segment is marked recomputed.
   */
  readonly forwardRuns?: ReadonlyMap<string, number>;
}

/**
 * The diagram options that show a plan: the plan, and each primitive's forward runs as `simulate`
 * predicts them.
 *
 * @example
 * renderDiagram(model, { title: 'mlp', ...diagramPlan(model, chosen.plan) })
 */
export const diagramPlan = (model: TypedModel, plan: Plan | PlannedModel): DiagramOptions => ({
  plan,
  forwardRuns: simulate(model, 'model' in plan ? plan.plan : plan, 4).forwardCalls,
});

/** Whether a primitive's residual is kept by the forward pass, rebuilt in the backward pass, or empty. */
export type ResidualMark = 'stored' | 'recomputed' | 'none';

/** The planned node of every node path. */
const plannedByKey = (pm: PlannedModel): ReadonlyMap<string, PlannedNode> => {
  const out = new Map<string, PlannedNode>();
  const stack: PlannedNode[] = [pm.root];
  while (stack.length) {
    const n = stack.pop()!;
    out.set(n.key, n);
    if (n.kind !== 'prim') for (const c of n.children) stack.push(c);
  }
  return out;
};

const PITCH = 34;
const VGAP = 12;
/** Font sizes of the stylesheet below (pixels), for measuring. */
const BOX_PX = 12;
const ATTR_PX = 10;
const SHAPE_PX = 10;
const FRAME_PX = 11;
const IO_PX = 11;
const LEGEND_PX = 11;
const TITLE_PX = 14;
/** Attributes wrap at this many characters, over at most this many lines; a box title is abbreviated past its limit. */
const ATTR_CHARS = 36;
const ATTR_LINES = 2;
const TITLE_CHARS = 36;
/** A wire's shape label is abbreviated past this many characters (the full shape in its tooltip). */
const SHAPE_CHARS = 28;
const RES_H = 26;
const FRAME_PAD = 10;
const FRAME_TITLE = 16;

/** A box of a chain with the shapes of its output wires (for the wire labels). */
interface Unit {
  readonly l: Layout;
  readonly outs: readonly Shape[];
}

interface Layout {
  readonly w: number;
  readonly h: number;
  /** y of each input / output port, relative to the top. */
  readonly ins: readonly number[];
  readonly outs: readonly number[];
  draw(x: number, y: number, out: string[]): void;
}

const centers = (n: number, h: number): number[] => Array.from({ length: n }, (_, i) => ((i + 0.5) * h) / n);

const curve = (x0: number, y0: number, x1: number, y1: number, extra = ''): string => {
  if (Math.abs(y0 - y1) < 0.01) return `<path d="M${fmtNum(x0)},${fmtNum(y0)}H${fmtNum(x1)}" class="wire"${extra}/>`;
  const mx = (x0 + x1) / 2;
  return `<path d="M${fmtNum(x0)},${fmtNum(y0)}C${fmtNum(mx)},${fmtNum(y0)} ${fmtNum(mx)},${fmtNum(y1)} ${fmtNum(x1)},${fmtNum(y1)}" class="wire"${extra}/>`;
};

const si = (n: number): string => {
  for (const [v, s] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (n >= v) return `${Number((n / v).toPrecision(3))}${s}`;
  return String(n);
};

/** A primitive's attributes as one line (`out=16 bias=false`; objects by their keys). */
const attrText = (p: TypedPrim): string =>
  Object.entries(p.term.attrs ?? {})
    .map(([k, v]) =>
      `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : typeof v === 'object' && v !== null ? `{${Object.keys(v).join(',')}}` : String(v)}`,
    )
    .join(' ');

class Renderer {
  residualTags = 0;
  /** Which kinds of marks were drawn, so that the legend explains exactly those. */
  readonly used = new Set<'copy' | 'add' | 'discard' | 'permute' | 'frame' | 'remat' | 'residual' | 'rerun'>();
  constructor(
    private readonly planned: ReadonlyMap<string, PlannedNode>,
    private readonly forwardRuns?: ReadonlyMap<string, number>,
  ) {}

  /** `depth`: how many recomputing regions (lens-form nodes, schedule segments) enclose `n`. */
  layout(n: TypedNode, depth: number): Layout {
    const key = n.path.join('.');
    const remat = this.planned.get(key)?.lens ?? false;
    const d = remat ? depth + 1 : depth;
    const inner = n.kind === 'prim' ? this.prim(n, d) : n.kind === 'seq' ? this.seq(n, d) : this.par(n.children, d);
    const name = n.kind !== 'prim' ? n.term.name : undefined;
    if (!remat && !name) return inner;
    return this.frame(inner, remat ? `${name ? `${name} ` : ''}↺ recomputed in backward (lens form)` : name!, remat);
  }

  frame(c: Layout, label: string, remat: boolean): Layout {
    this.used.add(remat ? 'remat' : 'frame');
    const w = Math.max(c.w + 2 * FRAME_PAD, textWidth(label, FRAME_PX) + 16);
    const dx = (w - c.w) / 2;
    const top = FRAME_PAD + FRAME_TITLE;
    const h = c.h + top + FRAME_PAD;
    return {
      w,
      h,
      ins: c.ins.map((y) => y + top),
      outs: c.outs.map((y) => y + top),
      draw: (x, y, out) => {
        out.push(`<rect x="${fmtNum(x + 2)}" y="${fmtNum(y + 2)}" width="${fmtNum(w - 4)}" height="${fmtNum(h - 4)}" rx="6" class="${remat ? 'remat' : 'frame'}"/>`);
        out.push(`<text x="${fmtNum(x + 8)}" y="${fmtNum(y + 15)}" class="${remat ? 'rematlabel' : 'framelabel'}">${esc(label)}</text>`);
        for (const py of c.ins) out.push(curve(x, y + top + py, x + dx, y + top + py));
        for (const py of c.outs) out.push(curve(x + dx + c.w, y + top + py, x + w, y + top + py));
        c.draw(x + dx, y + top, out);
      },
    };
  }

  prim(p: TypedPrim, depth: number): Layout {
    const nin = p.inputs.length;
    const nout = p.outputs.length;
    const name = p.def.name;
    const wires = Math.max(nin, nout, 1);
    const bh = wires * PITCH;
    switch (name) {
      case 'id': {
        const ys = centers(nin, bh);
        return { w: 16, h: bh, ins: ys, outs: ys, draw: (x, y, out) => ys.forEach((py) => out.push(curve(x, y + py, x + 16, y + py))) };
      }
      case 'copy': {
        this.used.add('copy');
        const outs = centers(nout, bh);
        return {
          w: 34, h: bh, ins: [bh / 2], outs,
          draw: (x, y, out) => {
            out.push(curve(x, y + bh / 2, x + 10, y + bh / 2));
            for (const py of outs) out.push(curve(x + 10, y + bh / 2, x + 34, y + py));
            out.push(`<circle cx="${fmtNum(x + 10)}" cy="${fmtNum(y + bh / 2)}" r="3.5" class="dot"><title>copy</title></circle>`);
          },
        };
      }
      case 'add': {
        this.used.add('add');
        const ins = centers(nin, bh);
        return {
          w: 38, h: bh, ins, outs: [bh / 2],
          draw: (x, y, out) => {
            for (const py of ins) out.push(curve(x, y + py, x + 22, y + bh / 2));
            out.push(curve(x + 28, y + bh / 2, x + 38, y + bh / 2));
            out.push(`<circle cx="${fmtNum(x + 22)}" cy="${fmtNum(y + bh / 2)}" r="6" class="plus"><title>add</title></circle>`);
            out.push(`<path d="M${fmtNum(x + 18)},${fmtNum(y + bh / 2)}h8M${fmtNum(x + 22)},${fmtNum(y + bh / 2 - 4)}v8" class="wire"/>`);
          },
        };
      }
      case 'discard':
        this.used.add('discard');
        return {
          w: 22, h: bh, ins: [bh / 2], outs: [],
          draw: (x, y, out) => {
            out.push(curve(x, y + bh / 2, x + 12, y + bh / 2));
            out.push(`<circle cx="${fmtNum(x + 13)}" cy="${fmtNum(y + bh / 2)}" r="3" class="ground"><title>discard</title></circle>`);
          },
        };
      case 'permute': {
        const perm = primNodeOrThrow(permuteDef, p).attrs.perm;
        if (perm.some((src, i) => src !== i)) this.used.add('permute');
        const ys = centers(nin, bh);
        return {
          w: 40, h: bh, ins: ys, outs: ys,
          draw: (x, y, out) => perm.forEach((src, i) => out.push(curve(x, y + ys[src]!, x + 40, y + ys[i]!))),
        };
      }
    }
    const fullTitle = p.term.name ? `${p.term.name}: ${name}` : name;
    const title = abbreviate(fullTitle, TITLE_CHARS);
    const attrs = attrText(p);
    const { lines: subs, cut } = wrapText(attrs, ATTR_CHARS, ATTR_LINES);
    const planned = this.planned.get(p.path.join('.'));
    const { cost, variant: v } = planned?.kind === 'prim' ? planned.node : p;
    const res = cost.residualElems > 0;
    const runs = this.forwardRuns?.get(p.path.join('.'));
    const recomputed = runs !== undefined ? runs > 1 : depth > 0;
    const mark: ResidualMark = !res ? 'none' : recomputed ? 'recomputed' : 'stored';
    const again = recomputed ? ` ↺${runs !== undefined ? `×${runs - 1}` : ''}` : '';
    const tag = res ? `M ${si(cost.residualElems)} (${v})${again}` : '';
    if (res) this.used.add(mark === 'recomputed' ? 'rerun' : 'residual');
    const w = Math.max(64, textWidth(title, BOX_PX, true) + 18, ...subs.map((l) => textWidth(l, ATTR_PX) + 14), textWidth(tag, ATTR_PX) + 12);
    const h = Math.max(bh, 28 + 12 * subs.length) + (res ? RES_H : 0);
    const boxH = h - (res ? RES_H : 0);
    const ins = centers(nin, boxH);
    const outs = centers(nout, boxH);
    if (res) this.residualTags++;
    return {
      w, h, ins, outs,
      draw: (x, y, out) => {
        const tip = `${p.path.length ? p.path.join('.') : '<root>'}: ${name} ${p.inputs.map(showShape).join(' ')} → ${p.outputs.map(showShape).join(' ')}; ${cost.fwdFlops} fwd flops, ${cost.bwdFlops} bwd flops, ${cost.paramElems} params, residual ${cost.residualElems} elements (${v})`;
        const runsAttr = runs !== undefined ? ` data-runs="${runs}"` : '';
        out.push(`<g class="prim" data-path="${esc(p.path.join('.'))}" data-prim="${esc(name)}" data-residual="${mark}"${runsAttr}><title>${esc(tip)}${recomputed ? esc(`; recomputed in backward${runs !== undefined ? ` (${runs} forward runs)` : ''}`) : ''}</title>`);
        out.push(`<rect x="${fmtNum(x)}" y="${fmtNum(y)}" width="${fmtNum(w)}" height="${fmtNum(boxH)}" rx="4" class="box"/>`);
        // The title, then the attributes' lines, centred as a block.
        const ty = y + boxH / 2 + 4 - 6 * subs.length;
        out.push(svgText(x + w / 2, ty, title, 'text-anchor="middle" class="boxlabel"', fullTitle));
        subs.forEach((l, i) => out.push(svgText(x + w / 2, ty + 13 + 12 * i, l, 'text-anchor="middle" class="attrs"', i === 0 && cut ? attrs : undefined)));
        if (res) {
          const cx = x + w / 2;
          out.push(`<path d="M${fmtNum(cx)},${fmtNum(y + boxH)}v8" class="reswire"/>`);
          out.push(`<g class="residual"><rect x="${fmtNum(x + 3)}" y="${fmtNum(y + boxH + 8)}" width="${fmtNum(w - 6)}" height="16" rx="8" class="restag${mark === 'recomputed' ? ' rerun' : ''}"/>`);
          out.push(`<text x="${fmtNum(cx)}" y="${fmtNum(y + boxH + 20)}" text-anchor="middle" class="restext">${esc(tag)}</text></g>`);
        }
        out.push('</g>');
      },
    };
  }

  /** A `seq`, its children grouped by the plan's checkpoint schedule if it has one. */
  seq(n: TypedComposite, depth: number): Layout {
    const cs = n.children;
    const pn = this.planned.get(n.path.join('.'));
    const s = pn?.kind === 'seq' ? pn.schedule : undefined;
    const unit = (i: number, d: number): Unit => ({ l: this.layout(cs[i]!, d), outs: cs[i]!.outputs });
    if (!s) return this.chain(cs.map((_, i) => unit(i, depth)));
    // A segment keeps only its input in the forward pass and re-runs, under its nested schedule, in backward.
    const units = (items: Schedule, d: number): Unit[] =>
      items.map((it) =>
        typeof it === 'number'
          ? unit(it, d)
          : { l: this.frame(this.chain(units(it, d + 1)), '↺ segment recomputed in backward (checkpoint)', true), outs: cs[segmentRange(it)[1]]!.outputs },
      );
    return this.chain(units(s, depth));
  }

  /** Boxes left to right, outputs wired to inputs. */
  chain(units: readonly Unit[]): Layout {
    const ls = units.map((u) => u.l);
    const H = Math.max(...ls.map((l) => l.h));
    // Each gap is wide enough for the shape labels of the wires crossing it.
    const gaps = units.slice(0, -1).map((c) => Math.max(30, ...c.outs.map((s) => textWidth(abbreviate(showShape(s), SHAPE_CHARS), SHAPE_PX) + 14)));
    const W = ls.reduce((s, l) => s + l.w, 0) + gaps.reduce((s, g) => s + g, 0);
    const offs: number[] = [];
    let acc = 0;
    ls.forEach((l, i) => {
      offs.push(acc);
      acc += l.w + (gaps[i] ?? 0);
    });
    const dy = ls.map((l) => (H - l.h) / 2);
    return {
      w: W,
      h: H,
      ins: ls[0]!.ins.map((y) => y + dy[0]!),
      outs: ls[ls.length - 1]!.outs.map((y) => y + dy[ls.length - 1]!),
      draw: (x, y, out) => {
        ls.forEach((l, i) => l.draw(x + offs[i]!, y + dy[i]!, out));
        for (let i = 0; i + 1 < ls.length; i++) {
          const a = ls[i]!;
          const b = ls[i + 1]!;
          const x0 = x + offs[i]! + a.w;
          const x1 = x + offs[i + 1]!;
          a.outs.forEach((py, j) => {
            const y0 = y + dy[i]! + py;
            const y1 = y + dy[i + 1]! + b.ins[j]!;
            out.push(curve(x0, y0, x1, y1));
            const shape = showShape(units[i]!.outs[j]!);
            out.push(svgText(x0 + 4, y0 - 4, abbreviate(shape, SHAPE_CHARS), 'class="shape"', shape));
          });
        }
      },
    };
  }

  par(children: readonly TypedNode[], depth: number): Layout {
    const ls = children.map((c) => this.layout(c, depth));
    const W = Math.max(...ls.map((l) => l.w));
    const offs: number[] = [];
    let acc = 0;
    for (const l of ls) {
      offs.push(acc);
      acc += l.h + VGAP;
    }
    const H = acc - VGAP;
    return {
      w: W,
      h: H,
      ins: ls.flatMap((l, i) => l.ins.map((y) => y + offs[i]!)),
      outs: ls.flatMap((l, i) => l.outs.map((y) => y + offs[i]!)),
      draw: (x, y, out) => {
        ls.forEach((l, i) => {
          const lx = x + (W - l.w) / 2;
          for (const py of l.ins) out.push(curve(x, y + offs[i]! + py, lx, y + offs[i]! + py));
          for (const py of l.outs) out.push(curve(lx + l.w, y + offs[i]! + py, x + W, y + offs[i]! + py));
          l.draw(lx, y + offs[i]!, out);
        });
      },
    };
  }
}

const STYLE = `<style>
.wire{fill:none;stroke:#222;stroke-width:1.4}
.box{fill:#eef4fb;stroke:#2b5d8c;stroke-width:1.4}
.boxlabel{font:600 12px sans-serif;fill:#102a43}
.attrs{font:10px monospace;fill:#486581}
.shape{font:10px monospace;fill:#7b341e}
.dot{fill:#222}.plus{fill:white;stroke:#222;stroke-width:1.4}.ground{fill:#222}
.reswire{stroke:#b7791f;stroke-width:1.2;stroke-dasharray:3 2}
.restag{fill:#fffbea;stroke:#b7791f;stroke-dasharray:4 2}
.restag.rerun{fill:#fff3e6;stroke:#dd6b20}
.restext{font:10px monospace;fill:#8d5b0b}
.frame{fill:none;stroke:#9fb3c8;stroke-dasharray:5 3}
.framelabel{font:italic 11px sans-serif;fill:#627d98}
.remat{fill:#fff8f1;fill-opacity:0.4;stroke:#dd6b20;stroke-width:1.4;stroke-dasharray:6 3}
.rematlabel{font:italic 11px sans-serif;fill:#c05621}
.io{font:11px monospace;fill:#222}
.title{font:600 14px sans-serif;fill:#102a43}
.legend{font:11px sans-serif;fill:#52606d}
</style>`;

/** What {@link renderDiagram} drew, for tests and summaries. */
export interface Diagram {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  /** Number of primitives drawn with a residual tag. */
  readonly residualTags: number;
  /** Elements the forward pass keeps for the backward pass under the options' plan (the legend's figure). */
  readonly residualElems: number;
}

/** Draw a checked model as an SVG string diagram (a standalone document). */
export const renderDiagram = (model: TypedModel, o: DiagramOptions = {}): Diagram => {
  const pm = o.plan && 'model' in o.plan ? o.plan : applyPlanOrThrow(model, (o.plan as Plan | undefined) ?? {});
  const byKey = plannedByKey(pm);
  const r = new Renderer(byKey, o.forwardRuns);
  const body = r.layout(model.root, 0);
  const inLabels = model.root.inputs.map((s, i) => `x${i} ${showShape(s)}`);
  const outLabels = model.root.outputs.map((s, i) => `y${i} ${showShape(s)}`);
  const lead = Math.max(50, ...inLabels.map((l) => textWidth(l, IO_PX) + 16));
  const tail = Math.max(50, ...outLabels.map((l) => textWidth(l, IO_PX) + 16));
  const total = Object.values(collectResidual(pm)).reduce((s, v) => s + v, 0);
  const inputElems = model.root.inputs.reduce((s, x) => s + sizeOf(x), 0);
  // The picture is as wide as the model (and at least wide enough for a readable legend); the
  // title and the legend wrap to that width.
  const W = Math.ceil(Math.max(lead + body.w + tail + 20, 520));
  const title = o.title ? wrapText(o.title, charsIn(W - 20, TITLE_PX, true), 2) : undefined;
  const top = title ? 22 + 18 * title.lines.length : 16;
  const u = r.used;
  const marks = [
    'boxes: primitives (name: primitive, attributes; hover for shapes and costs)',
    'wires: tensors, labelled with their shapes',
    ...(u.has('copy') ? ['● copy (its backward pass adds the gradients)'] : []),
    ...(u.has('add') ? ['⊕ add'] : []),
    ...(u.has('discard') ? ['a dot ending a wire: discard'] : []),
    ...(u.has('permute') ? ['crossing wires: permute'] : []),
    ...(u.has('frame') ? ['dashed grey frame: a named composite'] : []),
    ...(u.has('remat') ? ['orange frame: recomputed in the backward pass (lens form or checkpoint segment)'] : []),
    ...(u.has('residual') ? ['dashed tag: the residual M the forward pass keeps for the backward pass (elements, variant)'] : []),
    ...(u.has('rerun') ? ['orange tag ↺×n: a residual rebuilt by n extra forward runs in the backward pass'] : []),
  ];
  const legendText = `${marks.join(' · ')}.`;
  const legend = [
    ...wrapText(legendText, charsIn(Math.min(W - 20, 900), LEGEND_PX)).lines,
    `residual under this plan: ${si(total)} elements; inputs: ${si(inputElems)} elements`,
  ];
  const legendH = 16 * legend.length + 6;
  const H = Math.ceil(top + body.h + legendH + 10);
  const x0 = 10 + lead;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  out.push(STYLE);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  title?.lines.forEach((l, i) => out.push(svgText(10, 24 + 18 * i, l, 'class="title"', i === 0 && title.cut ? o.title : undefined)));
  body.ins.forEach((py, i) => {
    out.push(curve(10, top + py, x0, top + py));
    out.push(`<text x="12" y="${fmtNum(top + py - 4)}" class="io">${esc(inLabels[i]!)}</text>`);
  });
  body.outs.forEach((py, i) => {
    out.push(curve(x0 + body.w, top + py, W - 10, top + py));
    out.push(`<text x="${fmtNum(x0 + body.w + 4)}" y="${fmtNum(top + py - 4)}" class="io">${esc(outLabels[i]!)}</text>`);
  });
  body.draw(x0, top, out);
  legend.forEach((l, i) => out.push(`<text x="10" y="${H - 10 - 16 * (legend.length - 1 - i)}" class="legend">${esc(l)}</text>`));
  out.push('</svg>');
  return { svg: out.join('\n') + '\n', width: W, height: H, residualTags: r.residualTags, residualElems: total };
};

/** Residual elements per primitive path under the plan (lens-form nodes and schedule segments keep only their inputs). */
const collectResidual = (pm: PlannedModel): Record<string, number> => {
  const res: Record<string, number> = {};
  const stack: [PlannedNode, boolean][] = [[pm.root, false]];
  while (stack.length) {
    const [n, inRemat] = stack.pop()!;
    const start = !inRemat && n.lens;
    if (start) res[`${n.key}@`] = n.node.inputs.reduce((s, x) => s + sizeOf(x), 0);
    if (n.kind !== 'prim' && n.schedule && !inRemat && !start) {
      // A top-level segment keeps its input (the checkpoint); its children keep nothing.
      for (const it of n.schedule) {
        if (typeof it === 'number') stack.push([n.children[it]!, false]);
        else {
          const first = segmentRange(it)[0];
          res[`${n.key}@${first}`] = n.children[first]!.node.inputs.reduce((s, x) => s + sizeOf(x), 0);
        }
      }
      continue;
    }
    if (n.kind !== 'prim') {
      for (const c of n.children) stack.push([c, inRemat || start]);
      continue;
    }
    if (inRemat || start) continue;
    res[n.key] = n.node.cost.residualElems;
  }
  return res;
};
