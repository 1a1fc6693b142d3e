import { describe, expect, it } from 'vitest';
import { peakMatches } from '../laws/planner';
import { plansAgree } from '../laws/plan';
import { checkOrThrow, initParams, jsBackend, randn, rng } from '../src/index';
import { frontierSvg, frontierTable, parseBytes, planFrontier } from '../src/plan';
import { transformer } from '../examples/plan/model';

describe('12-block transformer (attention + MLP)', () => {
  const model = checkOrThrow(transformer(12, 16, 2), [[32, 16]]);
  const { frontier, method } = planFrontier(model);
  it('the frontier spans at least 4× in peak memory', () => {
    const lo = frontier[0]!.peakBytes;
    const hi = frontier[frontier.length - 1]!.peakBytes;
    expect(method).toBe('uniform');
    expect(hi / lo).toBeGreaterThanOrEqual(4);
  });
  it('table and SVG mark the chosen plan; byte sizes parse', () => {
    const c = frontier[2]!;
    expect(frontierTable(frontier, c).split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    const svg = frontierSvg(frontier, c);
    expect(svg.startsWith('<svg') && svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain(`chosen: ${c.label}`);
    expect([parseBytes('64MiB'), parseBytes('1.5KiB'), parseBytes('100')]).toEqual([64 * 2 ** 20, 1536, 100]);
    expect(() => parseBytes('lots')).toThrow(/cannot read 'lots' as a byte size/);
  });
  it('three frontier plans run with their predicted peaks and identical gradients', () => {
    const picks = [frontier[0]!, frontier[Math.floor(frontier.length / 2)]!, frontier[frontier.length - 1]!];
    const be = jsBackend('float32');
    const params = initParams(model, 7);
    const x = [randn([32, 16], rng(7).fork('x'), 'float32')];
    const dy = [randn([32, 16], rng(7).fork('dy'), 'float32')];
    for (const p of picks) {
      const rep = peakMatches(model, be, p.plan, params, x, dy);
      expect(rep.ok, `${p.label}: ${rep.detail}`).toBe(true);
      expect(rep.measured.peak).toBe(p.peakBytes);
      expect(rep.measured.flops.forward + rep.measured.flops.backward).toBe(p.flops);
    }
    expect(plansAgree(model, be, picks.map((p) => p.plan), params, x, dy)).toBe(true);
  });
});
