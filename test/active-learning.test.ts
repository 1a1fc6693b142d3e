import { describe, expect, it } from 'vitest';
import { jsBackend, type Backend } from '../src/index';
import { runSeed, summarise } from '../examples/active-learning/active';
import { parseOptions } from '../examples/active-learning/options';
import { clusterTask } from '../examples/active-learning/task';

describe('examples/active-learning (smoke)', () => {
  it('runs every strategy for a round on a small task and reports curves', () => {
    const be = jsBackend('float32') as Backend<unknown>;
    const o = {
      strategies: ['random', 'entropy', 'coreset', 'kecor'] as const,
      rounds: 1,
      perRound: 5,
      seedLabels: 8,
      steps: 20,
      backend: be,
      task: { pool: 120, clusters: 8 },
      hidden: 8,
      proxy: { width: 8, steps: 3 },
    };
    const runs = [0, 1].map((seed) => runSeed({ ...o, seed, strategies: [...o.strategies] }));
    for (const s of o.strategies) {
      const c = summarise(runs, s);
      expect(c.labels).toEqual([8, 13]);
      expect(c.mean).toHaveLength(2);
      expect(c.mean.every((m) => m >= 0 && m <= 1)).toBe(true);
      expect(c.std.every((d) => d >= 0)).toBe(true);
    }
    // Every strategy starts from the same seed set and initialisation.
    for (const r of runs) expect(new Set(Object.values(r.accuracy).map((a) => a[0])).size).toBe(1);
    expect(runs[0]!.kecorSeconds.ntk).toBeGreaterThan(0);
  });
  it('the task is imbalanced and its test set balanced', () => {
    const t = clusterTask(3);
    expect(t.pool.x.shape).toEqual([1600, 8]);
    expect(t.clusterSizes[0]!).toBeGreaterThan(20 * t.clusterSizes[23]!);
    expect(t.test.x.shape).toEqual([24 * 40, 8]);
  });
  it('refuses unknown flags and bad values, with the flag named', () => {
    expect(parseOptions(['--jsn'])).toMatch(/unknown option "--jsn"/);
    expect(parseOptions(['--seeds', '0'])).toMatch(/--seeds expects an integer ≥ 1, got "0"/);
    expect(parseOptions(['--strategies', 'random,bald'])).toMatch(/--strategies expects a comma-separated subset/);
    const ok = parseOptions(['--json', '--seeds', '2', '--strategies', 'kecor,random']);
    expect(typeof ok !== 'string' && ok.seeds === 2 && ok.json && ok.strategies).toEqual(['kecor', 'random']);
  });
});
