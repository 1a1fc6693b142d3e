import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { readdirSync, readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, loadSpec, named, par, planFrontier, prim, simulate, skip, seq, id, type Term } from '../src/index';
import { diagramPlan, frontierPlot, linePlot, lossPlot, logTicks, renderDiagram, ticks } from '../src/render';

/** Minimal well-formedness: every opened tag is closed in order, attributes quoted, no raw `<` or `&` in text. */
const wellFormed = (svg: string): boolean => {
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) {
    const text = svg.slice(last, m.index);
    if (/[<]|&(?!(amp|lt|gt|quot|#39);)/.test(text)) return false;
    last = re.lastIndex;
    if (m[4]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  return stack.length === 0 && !/[<>]/.test(svg.slice(last).trim());
};

const mlp = seq(named('h', prim('linear', { out: 16 })), prim('tanh'), prim('linear', { out: 3 }));

describe('string diagrams', () => {
  it('draws boxes, shape-labelled wires and residual tags', () => {
    const d = renderDiagram(checkOrThrow(mlp, [[8, 4]]), { title: 'mlp' });
    expect(wellFormed(d.svg)).toBe(true);
    expect(d.svg).toContain('h: linear');
    expect(d.svg).toContain('>tanh<');
    expect(d.svg).toContain('>[8,16]<');
    expect(d.svg).toContain('x0 [8,4]');
    expect(d.svg).toContain('y0 [8,3]');
    expect(d.residualTags).toBe(3);
    expect(d.svg.match(/class="residual"/g)).toHaveLength(3);
  });
  it('structural boxes are wiring, not boxes; named composites are frames', () => {
    const m = checkOrThrow(seq(named('block', skip(seq(prim('linear', { out: 4 }), prim('relu')))), prim('softmax')), [[2, 4]]);
    const d = renderDiagram(m);
    expect(wellFormed(d.svg)).toBe(true);
    expect(d.svg.match(/<g class="prim"/g)).toHaveLength(3);
    expect(d.svg).toContain('<title>copy</title>');
    expect(d.svg).toContain('<title>add</title>');
    expect(d.svg).toContain('>block<');
  });
  it('the plan shows: variants change the residual tag, recomputed nodes get a frame and keep no tag', () => {
    const m = checkOrThrow(seq(named('body', seq(prim('linear', { out: 4 }), prim('tanh'))), prim('softmax')), [[2, 4]]);
    const plain = renderDiagram(m);
    const remat = renderDiagram(m, { plan: { remat: ['body'] } });
    expect(plain.svg).not.toContain('recomputed');
    expect(remat.svg).toContain('body ↺ recomputed in backward');
    expect(remat.svg).toMatch(/residual under this plan: 16 elements/);
    expect(plain.svg).toMatch(/residual under this plan: 24 elements/);
  });
  it('a checkpoint schedule frames its segments; the primitives marked recomputed are those simulate runs more than once', () => {
    // Every frontier plan of every example spec. Marks come from the schedule frames alone (no
    // forward-run counts), and the legend's residual from the diagram's own walk: both must agree
    // with the memory simulation.
    let schedules = 0;
    for (const dir of readdirSync('examples', { withFileTypes: true }).filter((d) => d.isDirectory()))
      for (const f of readdirSync(`examples/${dir.name}`).filter((x) => x.endsWith('.json'))) {
        const r = loadSpec(readFileSync(`examples/${dir.name}/${f}`, 'utf8'));
        if (E.isLeft(r)) throw new Error(`${f}: ${r.left[0]!.message}`);
        const m = r.right.model;
        for (const p of planFrontier(m).frontier) {
          const sim = simulate(m, p.plan, 4);
          const { forwardRuns, ...framesOnly } = diagramPlan(m, p.plan);
          const d = renderDiagram(m, framesOnly);
          expect(wellFormed(d.svg)).toBe(true);
          const marks = [...d.svg.matchAll(/data-path="([^"]*)" data-prim="[^"]*" data-residual="(\w+)"/g)].map((x) => [x[1]!, x[2]!] as const);
          const recomputed = marks.filter(([, k]) => k === 'recomputed').map(([k]) => k).sort();
          const rerun = marks.filter(([k, mark]) => mark !== 'none' && (sim.forwardCalls.get(k) ?? 0) > 1).map(([k]) => k).sort();
          expect(recomputed, `${f} under ${p.label}`).toEqual(rerun);
          expect(d.residualElems * 4, `${f} under ${p.label}`).toBe(sim.residualBytes);
          // With the counts, each recomputed tag says how many times.
          const counted = renderDiagram(m, { ...framesOnly, forwardRuns: forwardRuns! });
          for (const k of rerun) expect(counted.svg).toContain(`data-path="${k}"`);
          expect(counted.svg.match(/ ↺×\d+</g)?.length ?? 0).toBe(rerun.length);
          if (p.plan.schedules) {
            schedules++;
            expect(d.svg).toContain('segment recomputed in backward');
          }
        }
      }
    expect(schedules).toBeGreaterThan(0);
  });
  it('escapes names', () => {
    const d = renderDiagram(checkOrThrow(named('a<b&c', seq(prim('tanh'))), [[2]]), { title: '<x> & "y"' });
    expect(wellFormed(d.svg)).toBe(true);
    expect(d.svg).toContain('a&lt;b&amp;c');
  });

  const layer = fc.constantFrom<Term>(prim('tanh'), prim('relu'), prim('linear', { out: 4 }), skip(prim('linear', { out: 4 })), par(prim('tanh'), id(1)));
  test.prop([fc.array(layer, { minLength: 1, maxLength: 6 })], { numRuns: 40 })('any small model draws a well-formed SVG with one box per computing primitive', (layers) => {
    const needsTwo = layers.map((l) => l.op === 'par');
    // Keep the wire count at 1 between layers: a par layer is preceded by a copy and followed by an add.
    const term = seq(...layers.flatMap((l, i) => (needsTwo[i] ? [prim('copy'), l, prim('add')] : [l])), prim('linear', { out: 4 }));
    const m = checkOrThrow(term, [[3, 4]]);
    const d = renderDiagram(m);
    expect(wellFormed(d.svg)).toBe(true);
    const computing = JSON.stringify(term).match(/"prim":"(tanh|relu|linear)"/g)!.length;
    expect(d.svg.match(/<g class="prim"/g)).toHaveLength(computing);
  });
});

describe('plots', () => {
  it('a loss curve is a well-formed SVG', () => {
    const svg = linePlot([{ label: 'loss', points: [[1, 0.7], [2, 0.5], [3, 0.1]] }], { title: 'loss', logY: true, xLabel: 'step' });
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('<path d="M');
  });
  it('the loss and frontier charts are well-formed and mark the chosen plan', () => {
    expect(wellFormed(lossPlot([0.7, 0.5, 0.1], { label: 'run', title: 'loss' }))).toBe(true);
    const m = checkOrThrow(seq(prim('linear', { out: 8 }), prim('tanh'), prim('linear', { out: 8 }), prim('tanh')), [[4, 8]]);
    const { frontier } = planFrontier(m);
    const svg = frontierPlot(frontier, { title: 'f', chosen: { point: frontier[0]!, label: 'chosen within 1 KiB' } });
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('>chosen within 1 KiB<');
    expect(svg.match(/<circle /g)).toHaveLength(frontier.length + 1);
  });
  it('ticks are nice numbers covering the range', () => {
    expect(ticks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(0.13, 0.71)).toEqual([0.2, 0.4, 0.6]);
    expect(logTicks(0.013, 0.7)).toEqual([0.02, 0.05, 0.1, 0.2, 0.5]);
  });
});
