// Para: parametrised optics, their composition, and reparametrisation by
// lenses (an optimiser step) and by optics (weight tying via copy).
import { fc, test } from '@fast-check/vitest';
import { MonoidSum } from 'fp-ts/lib/number.js';
import { describe, expect } from 'vitest';
import type { Para } from '../src/optic';
import { bindParams, copyOptic, gradientStep, liftPara, optic, paraPar, paraSeq, reparam, reparamLens, runOptic } from '../src/optic';
import { arbDX, arbX, sinO } from './optic-fixtures';

const params = { numRuns: 100 };

// y = w · x, storing both factors.
const scale: Para<[number, number], number, number, number, number, number, number> = optic(
  ([w, x]: [number, number]): [[number, number], number] => [[w, x], w * x],
  ([w, x]: [number, number], dy: number): [number, number] => [x * dy, w * dy],
);

describe('Para', () => {
  test.prop([arbX, arbX, arbX, arbDX], params)('paraSeq pairs parameters and their gradients', (w1, w2, x, dy) => {
    const net = paraSeq(scale, scale);
    const [[dw1, dw2], dx] = runOptic(net, [[w1, w2], x], dy)[1];
    expect(net.fwd([[w1, w2], x])[1]).toBe(w2 * (w1 * x));
    expect(dw2).toBe(w1 * x * dy);
    expect(dw1).toBe(x * (w2 * dy));
    expect(dx).toBe(w1 * (w2 * dy));
  });
  test('paraPar runs side by side', () => {
    const side = paraPar(scale, scale);
    expect(runOptic(side, [[2, 3], [5, 7]], [1, 1])).toEqual([
      [10, 21],
      [
        [5, 7],
        [2, 3],
      ],
    ]);
  });
  test('liftPara adds no parameters; bindParams freezes them', () => {
    const sinP = liftPara(sinO);
    expect(runOptic(sinP, [undefined, 0.5], 1)).toEqual([Math.sin(0.5), [undefined, Math.cos(0.5)]]);
    expect(runOptic(bindParams(scale, 3), 2, 1)).toEqual([6, 3]);
  });
  test.prop([arbX, arbX, arbDX], params)('reparametrising by copy ties weights and sums their gradients', (w, x, dy) => {
    const tied = reparam(paraSeq(scale, scale), copyOptic<number, number>(MonoidSum));
    const [y, [dw, dx]] = runOptic(tied, [w, x], dy);
    expect(y).toBe(w * (w * x));
    expect(dw).toBe(x * (w * dy) + w * x * dy);
    expect(dx).toBe(w * (w * dy));
  });
  test('reparametrising by an SGD lens returns updated parameters; a few steps fit y = 3x', () => {
    const lr = 0.1;
    const sgd = gradientStep((w: number, dw: number) => w - lr * dw);
    const model = reparamLens(scale, sgd);
    let w = 0;
    for (let step = 0; step < 60; step++) {
      const x = (step % 5) - 2 || 1;
      const [m, y] = model.fwd([w, x]);
      // d/dy of ½ (y − 3x)²
      w = model.bwd(m, y - 3 * x)[0];
    }
    expect(w).toBeCloseTo(3, 6);
  });
});
