import { beforeEach, describe, expect, it } from 'vitest';
import { type PlanPoint, frontierSvg, frontierTable, parseBytes, showPlan, showPoint } from '../src/plan';

// The planner's printed forms, on hand-made frontier points (no model needed), against values worked
// out by hand from the layout: a 640×420 canvas, plot area x 80…620, y 40…360.
const pt = (peakBytes: number, flops: number, recomputeFlops: number, label: string): PlanPoint => ({ plan: {}, peakBytes, flops, recomputeFlops, label });

describe('frontierTable', () => {
  it('prints sizes and flops in the largest unit they reach, right-aligned, the chosen plan starred', () => {
    const f = [
      pt(1023, 999, 0, 'store all'),
      pt(1024, 1000, 1500, 'a'),
      pt(2 ** 20 - 1, 999_999, 0, 'b'),
      pt(2 ** 20, 1e6, 2_500_000, 'c'),
      pt(2 ** 30 - 1, 999_999_999, 0, 'd'),
      pt(1.5 * 2 ** 30, 2.5e9, 0, 'revolve s=3, lean variants'),
    ];
    // Column widths: the widest cell of each column (the plan column is not padded).
    const w = [1, 11, 10, 10, 9];
    const line = (cells: string[]) => cells.map((c, i) => (i < w.length ? c.padStart(w[i]!) : c)).join('  ');
    expect(frontierTable(f, f[3]).split('\n')).toEqual([
      line([' ', 'peak', 'bytes', 'flops', 'recompute', 'plan']),
      line([...w.map((n) => '-'.repeat(n)), '-'.repeat(26)]),
      line([' ', '1023 B', '1023', '999', '0', 'store all']),
      line([' ', '1.0 KiB', '1024', '1.0 k', '1.5 k', 'a']),
      line([' ', '1024.0 KiB', '1048575', '1000.0 k', '0', 'b']),
      line(['*', '1.00 MiB', '1048576', '1.000 M', '2.500 M', 'c']),
      line([' ', '1024.00 MiB', '1073741823', '1000.000 M', '0', 'd']),
      line([' ', '1.50 GiB', '1610612736', '2.500 G', '0', 'revolve s=3, lean variants']),
    ]);
    expect(line([' ', 'peak', 'bytes', 'flops', 'recompute', 'plan'])).toBe('          peak       bytes       flops  recompute  plan');
  });
  it('stars nothing without a chosen plan, and only a point equal in peak, flops and label', () => {
    const f = [pt(10, 30, 0, 'x'), pt(20, 20, 0, 'y')];
    expect(frontierTable(f).split('\n').filter((l) => l.startsWith('*'))).toEqual([]);
    for (const other of [pt(20, 20, 0, 'z'), pt(21, 20, 0, 'y'), pt(20, 21, 0, 'y')])
      expect(frontierTable(f, other).split('\n').filter((l) => l.startsWith('*'))).toEqual([]);
    expect(frontierTable(f, pt(20, 20, 0, 'y')).split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
  });
});

describe('frontierSvg', () => {
  const f = [pt(100, 1000, 0, 'store <all>'), pt(300, 600, 0, 'mid & more'), pt(500, 200, 0, 'lens')];
  // Drawn in each test, not once for the file: mutation testing credits a mutant only to the tests that run it.
  let svg = '';
  beforeEach(() => {
    svg = frontierSvg(f, f[1], 'a<b & c>d');
  });
  it('canvas, title (escaped), axes and axis labels with the ranges', () => {
    expect(svg.split('\n').slice(0, 7)).toEqual([
      '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="420" viewBox="0 0 640 420" font-family="sans-serif" font-size="12">',
      '<rect width="640" height="420" fill="white"/>',
      '<text x="320" y="22" text-anchor="middle" font-size="15">a&lt;b &amp; c&gt;d</text>',
      '<line x1="80" y1="360" x2="620" y2="360" stroke="black"/>',
      '<line x1="80" y1="40" x2="80" y2="360" stroke="black"/>',
      '<text x="350" y="405" text-anchor="middle">peak memory (100 B … 500 B)</text>',
      '<text x="18" y="200" text-anchor="middle" transform="rotate(-90 18 200)">flops (200 … 1.0 k)</text>',
    ]);
    expect(svg.endsWith('\n</svg>')).toBe(true);
    expect(frontierSvg(f)).toContain('>Peak memory against flops</text>');
  });
  it('five ticks on each axis, evenly spaced over the ranges', () => {
    const xt = [...svg.matchAll(/<text x="([\d.]+)" y="376" text-anchor="middle" font-size="10">([^<]*)<\/text>/g)].map((m) => [m[1], m[2]]);
    expect(xt).toEqual([['80.0', '100 B'], ['215.0', '200 B'], ['350.0', '300 B'], ['485.0', '400 B'], ['620.0', '500 B']]);
    const yt = [...svg.matchAll(/<text x="74" y="([\d.]+)" text-anchor="end" font-size="10">([^<]*)<\/text>/g)].map((m) => [m[1], m[2]]);
    expect(yt).toEqual([['364.0', '200'], ['284.0', '400'], ['204.0', '600'], ['124.0', '800'], ['44.0', '1.0 k']]);
  });
  it('a step line and a dot per point (with an escaped tooltip), the chosen point ringed and labelled', () => {
    expect(svg).toContain('<polyline points="80.0,40.0 350.0,40.0 350.0,200.0 620.0,200.0 620.0,360.0" fill="none" stroke="#4a7ab0" stroke-width="1.5"/>');
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="#4a7ab0"><title>([^<]*)<\/title><\/circle>/g)].map((m) => m.slice(1));
    expect(dots).toEqual([
      ['80.0', '40.0', 'store &lt;all&gt;: 100 B, 1000 flops'],
      ['350.0', '200.0', 'mid &amp; more: 300 B, 600 flops'],
      ['620.0', '360.0', 'lens: 500 B, 200 flops'],
    ]);
    expect(svg).toContain('<circle cx="350.0" cy="200.0" r="8" fill="none" stroke="#c0392b" stroke-width="2"/>');
    expect(svg).toContain('<text x="360.0" y="190.0" fill="#c0392b">chosen: mid &amp; more</text>');
    expect(frontierSvg(f)).not.toContain('#c0392b');
  });
  it('one point: no division by zero, everything at the origin of the plot', () => {
    const one = frontierSvg([pt(64, 64, 0, 'only')]);
    expect(one).not.toMatch(/NaN|Infinity/);
    expect(one).toContain('<polyline points="80.0,360.0" ');
  });
});

describe('frontierTable at the unit thresholds themselves', () => {
  it('exactly 2^30 bytes is 1.00 GiB and exactly 1e9 flops 1.000 G (the larger unit from its first value)', () => {
    const table = frontierTable([pt(2 ** 30, 1e9, 1e9, 'x')]).split('\n')[2]!;
    expect(table).toContain('1.00 GiB');
    expect(table.match(/1\.000 G/g)).toHaveLength(2);
  });
});

describe('parseBytes', () => {
  it('reads plain numbers and binary units in any case, with spaces, rounding down', () => {
    const cases: [string, number][] = [
      ['65536', 65536], ['  12 B ', 12], ['12b', 12], ['.5KiB', 512], ['1.5 kib', 1536], ['2KB', 2048], ['3k', 3072],
      ['64MiB', 64 * 2 ** 20], ['2 mb', 2 * 2 ** 20], ['1M', 2 ** 20], ['1.5GiB', 1.5 * 2 ** 30], ['1gb', 2 ** 30], ['2G', 2 ** 31],
      ['1.9', 1], ['0.3k', 307], ['1.25KiB', 1280], ['0.125 MiB', 131072],
    ];
    expect(cases.map(([s]) => parseBytes(s))).toEqual(cases.map(([, n]) => n));
  });
  it('refuses anything else, naming the text and showing the forms it reads', () => {
    for (const s of ['', 'lots', '-1', '1.2.3', '5 TB', '1e3', '64 MiB x', 'x64MiB'])
      expect(() => parseBytes(s), s).toThrow(`cannot read '${s}' as a byte size; try 65536, 64KiB or 64MiB`);
  });
});

describe('showPlan and showPoint', () => {
  it('one choice per line, the root shown as <root>', () => {
    expect(showPlan({})).toBe('store all');
    expect(showPlan({ variants: { 'b0.1': 'lse', '': 'probs' }, remat: ['', 'b1'], schedules: { '': [[0, 1], 2], 'b2.0': [0, [1, 2]] } })).toBe(
      ['variant  b0.1 = lse', 'variant  <root> = probs', 'lens     <root>', 'lens     b1', 'schedule <root> [[0 1] 2]', 'schedule b2.0 [0 [1 2]]'].join('\n'),
    );
    expect(showPoint({ ...pt(4096, 123, 0, 'recompute all'), plan: { remat: [''] } })).toBe('recompute all: peak 4096 B, 123 flops\nlens     <root>');
  });
});
