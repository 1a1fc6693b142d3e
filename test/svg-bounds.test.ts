import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkOrThrow, named, prim, seq } from '../src/index';
import { linePlot, renderDiagram } from '../src/render';
import { frontierPlot, lossPlot } from '../src/render/charts';
import { cli as runCli, exampleSpecs } from './cli-harness';
import { outOfBounds, textBoxes } from './svg-bounds';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-svg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run the CLI in-process; its standard output, or the error it printed. */
const cli = async (...argv: string[]): Promise<string> => {
  const { code, out, err } = await runCli(...argv);
  if (code !== 0) throw new Error(err);
  return out;
};

const examples = exampleSpecs();

describe('the bounds check itself', () => {
  it('measures anchors, class fonts and rotated labels', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50" font-size="10"><style>.big{font:600 20px sans-serif}</style>
<text x="50" y="20" text-anchor="middle">abcd</text><text x="0" y="45" class="big">ab</text><text transform="translate(12 25) rotate(-90)" text-anchor="middle">abcdef</text></svg>`;
    const { boxes } = textBoxes(svg);
    expect(boxes[0]).toMatchObject({ x0: 38, x1: 62 });
    expect(boxes[1]!.x1).toBeCloseTo(26, 9);
    expect(boxes[2]).toMatchObject({ y0: 7, y1: 43, x0: 4, x1: 14.5 });
    expect(outOfBounds(svg)).toEqual([]);
    expect(outOfBounds(svg.replace('x="50" y="20"', 'x="95" y="20"'))).toEqual(['"abcd" spans x 83.0–107.0, y 12.0–22.5 in 100×50']);
  });
});

describe('every picture keeps its text inside the view box', () => {
  for (const spec of examples) {
    const doc = JSON.parse(fs.readFileSync(spec, 'utf8'));
    const data = spec.replace(/\.json$/, '.data.npz');
    const loss = doc.task ? 'xent' : 'mse';
    it(`${spec}: diagram (with and without the plan, with its loss), frontier and loss curve`, async () => {
      const svgs: [string, string][] = [
        ['diagram', await cli('diagram', spec)],
        ['diagram --no-plan', await cli('diagram', spec, '--no-plan')],
        [`diagram --loss ${loss}`, await cli('diagram', spec, '--loss', spec.includes('mcb') ? 'xent' : loss)],
      ];
      await cli('plan', spec, '--svg', path.join(tmp, 'f.svg'), '--budget', '1GiB');
      svgs.push(['frontier', fs.readFileSync(path.join(tmp, 'f.svg'), 'utf8')]);
      await cli('train', spec, ...(doc.task ? [] : ['--data', data]), '--steps', '2', '--no-save', '--quiet', '--loss-svg', path.join(tmp, 'l.svg'));
      svgs.push(['loss curve', fs.readFileSync(path.join(tmp, 'l.svg'), 'utf8')]);
      for (const [what, svg] of svgs) expect(outOfBounds(svg), what).toEqual([]);
    });
  }
  for (const f of ['docs/architecture.svg', 'examples/att-svm/correlation.svg', 'examples/active-learning/curves.svg'])
    it(f, () => expect(outOfBounds(fs.readFileSync(f, 'utf8'))).toEqual([]));
});

describe('the legend explains every kind of mark a diagram draws', () => {
  const explained: [RegExp, RegExp][] = [
    [/class="dot"/, /● copy/],
    [/class="plus"/, /⊕ add/],
    [/class="ground"/, /discard/],
    [/class="frame"/, /dashed grey frame: a named composite/],
    [/class="remat"/, /orange frame: recomputed/],
    [/class="restag"/, /dashed tag: the residual M/],
    [/class="restag rerun"/, /orange tag ↺×n/],
  ];
  const legendOf = (svg: string) => [...svg.matchAll(/<text[^>]*class="legend"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ');
  for (const spec of examples)
    it(spec, async () => {
      for (const args of [[], ['--loss', 'xent']]) {
        const doc = JSON.parse(fs.readFileSync(spec, 'utf8'));
        const svg = await cli('diagram', spec, ...(args.length && !doc.task && !spec.includes('mcb') ? ['--loss', 'mse'] : args));
        const legend = legendOf(svg);
        for (const [mark, text] of explained) if (mark.test(svg)) expect(legend, `${mark}`).toMatch(text);
        expect(legend).toMatch(/boxes: primitives/);
      }
    });
  it('a plan with checkpoint segments: recomputed frames and rebuilt residuals are explained', async () => {
    const planned = JSON.parse(fs.readFileSync('examples/parity/parity.json', 'utf8'));
    planned.plan = { remat: ['mlp'] };
    fs.writeFileSync(path.join(tmp, 'planned.json'), JSON.stringify(planned));
    const svg = await cli('diagram', path.join(tmp, 'planned.json'));
    expect(svg).toMatch(/class="remat"/);
    expect(legendOf(svg)).toMatch(/orange frame: recomputed in the backward pass/);
    expect(legendOf(svg)).toMatch(/orange tag ↺×n/);
  });
});

describe('long labels neither clip nor vanish', () => {
  it('a diagram with long names and attributes wraps or abbreviates them, the full text in a <title>', () => {
    const shape = Array.from({ length: 60 }, () => 1).concat([3, 12]);
    const term = seq(
      named('a_very_long_box_name_that_goes_on_and_on', prim('linear', { out: 12, bias: false })),
      prim('reshape', { shape }),
      prim('reshape', { shape: [3, 12] }),
    );
    const d = renderDiagram(checkOrThrow(term, [[3, 4]]), { title: 'a diagram whose title is longer than the model it describes, by some margin' });
    expect(outOfBounds(d.svg)).toEqual([]);
    expect(d.svg).toContain(`<title>shape=[${shape.join(',')}]</title>`);
  });
  it('plots with wide tick labels, long legend entries and a long title', () => {
    const big = linePlot(
      [
        { label: 'a legend entry that is much longer than the usual one', points: [[1e5, 123456789], [4.95e5, 987654321]], markers: true },
        { label: 'short', points: [[2e5, 5e8]], markers: true },
      ],
      { title: 'a title long enough to run past the edge of a 640 pixel wide plot if nothing wrapped it at all', xLabel: 'bytes', yLabel: 'flops' },
    );
    expect(outOfBounds(big)).toEqual([]);
    const f = frontierPlot(
      [
        { peakBytes: 49_664, flops: 27.31e6, recomputeFlops: 1, label: 'a', plan: {} },
        { peakBytes: 506_880, flops: 9.33e6, recomputeFlops: 0, label: 'b', plan: {} },
      ] as never,
      { title: 'frontier', own: { peakBytes: 506_880, flops: 9.33e6 }, chosen: { point: { peakBytes: 49_664, flops: 27.31e6 } as never, label: 'chosen within 495.0 KiB' } },
    );
    expect(outOfBounds(f)).toEqual([]);
    expect(outOfBounds(lossPlot([2.5, 1e-9, 3e-12], { label: 'x', title: 't' }))).toEqual([]);
  });
});
