import { describe, expect, it } from 'vitest';
import { lossAndGradAsync, sgd, trainAsync, type AsyncProgram, type HostTensor } from '../src/index';

// A hand-written asynchronous loss program, so that the async loop is tested without ONNX Runtime:
// loss = (w − x)², dL/dw = 2 (w − x), with the residual w − x.
const t = (xs: number[]): HostTensor => ({ shape: [xs.length], data: Float64Array.from(xs) });
const square: AsyncProgram<number> = {
  forward: async (params, [x]) => {
    const r = params['w']!.data[0]! - x!.data[0]!;
    return { outputs: [{ shape: [], data: Float64Array.of(r * r) }], residual: r };
  },
  backward: async (r, [dy]) => {
    // The seed of the backward pass is a scalar, as a real program would require.
    if (dy!.shape.length !== 0) throw new Error(`expected a scalar output gradient, got shape [${dy!.shape}]`);
    return { dParams: { w: t([2 * r * dy!.data[0]!]) } };
  },
};

describe('trainAsync', () => {
  it('takes exactly `steps` SGD steps on the batches 0 … steps−1, reporting each loss', async () => {
    const seen: number[] = [];
    const steps: [number, number][] = [];
    const targets = [1, 2, 3];
    const { params, losses } = await trainAsync({
      program: square,
      optimizer: sgd({ lr: 0.25 }),
      params: { w: t([0]) },
      steps: 3,
      batch: (i) => (seen.push(i), [t([targets[i]!])]),
      onStep: (i, loss) => steps.push([i, loss]),
    });
    // By hand: w ← w − 0.25·2(w − x) = (w + x)/2: w = 0 → 0.5 → 1.25 → 2.125; losses 1, 2.25, 3.0625.
    expect(seen).toEqual([0, 1, 2]);
    expect(losses).toEqual([1, 2.25, 3.0625]);
    expect(steps).toEqual([[0, 1], [1, 2.25], [2, 3.0625]]);
    expect([...params['w']!.data]).toEqual([2.125]);
    // onStep is optional, and leaving it out changes nothing else.
    const quiet = await trainAsync({ program: square, optimizer: sgd({ lr: 0.25 }), params: { w: t([0]) }, steps: 3, batch: (i) => [t([targets[i]!])] });
    expect(quiet.losses).toEqual(losses);
  });
});

describe('lossAndGradAsync', () => {
  it('refuses a program with more than one output, and a loss that is not finite', async () => {
    const two: AsyncProgram<number> = { ...square, forward: async (p, b) => ({ ...(await square.forward(p, b)), outputs: [t([1]), t([2])] }) };
    await expect(lossAndGradAsync(two, { w: t([0]) }, [t([1])])).rejects.toThrow(
      'lossAndGrad: a loss program has one scalar output, this one has 2',
    );
    await expect(lossAndGradAsync(square, { w: t([0]) }, [t([NaN])])).rejects.toThrow(
      'lossAndGrad: the loss is NaN; lower the learning rate or check the inputs',
    );
    expect(await lossAndGradAsync(square, { w: t([3]) }, [t([1])])).toEqual({ loss: 4, grads: { w: t([4]) } });
  });
});
