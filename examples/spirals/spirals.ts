import {
  adam, checkOrThrow, id, initParams, jsBackend, lowerOrThrow, par, prim, seq, train, withScope, type Backend, type HostTensor, type Term,
} from '../../src/index';
import { twoSpirals } from '../../src/tasks/spirals';
import { argmaxAccuracy } from '../../src/train/metrics';

/** The classifier: 2 → 64 → 64 → 2 with tanh. */
export const spiralsMlp = (width = 64): Term =>
  seq(prim('linear', { out: width }), prim('tanh'), prim('linear', { out: width }), prim('tanh'), prim('linear', { out: 2 }));

/** Train on 2×200 points, test on a fresh 2×200, from one seed: everything is deterministic. */
export const runSpirals = (o: {
  steps: number;
  seed: number;
  /** Where to train (default: the JS backend in float32). */
  backend?: Backend<unknown>;
  onStep?: (i: number, loss: number) => void;
}) => {
  const trainSet = twoSpirals(200, o.seed);
  const testSet = twoSpirals(200, o.seed + 1_000_003);
  const n = trainSet.y.shape[0]!;
  const mlp = spiralsMlp();
  const lossModel = checkOrThrow(seq(par(mlp, id(1)), prim('softmax_xent')), [[n, 2], [n]]);
  const be = o.backend ?? (jsBackend('float32') as Backend<unknown>);
  const program = lowerOrThrow(lossModel, be);
  const { params, losses } = train({
    program,
    backend: be,
    optimizer: adam({ lr: 0.01 }),
    params: initParams(lossModel, o.seed),
    steps: o.steps,
    batch: () => [trainSet.x, trainSet.y],
    onStep: o.onStep,
  });
  // The classifier alone, sharing the trained parameters (its paths sit under `0.0` in the loss model).
  const evalAcc = (set: { x: HostTensor; y: HostTensor }) => {
    const m = checkOrThrow(mlp, [set.x.shape]);
    const run = () => {
      const p = Object.fromEntries([...m.params.keys()].map((k) => [k, be.upload(params[`0.0.${k}`]!)]));
      const { outputs } = lowerOrThrow(m, be).forward(p, [be.upload(set.x)]);
      return argmaxAccuracy(be.download(outputs[0]!), set.y);
    };
    return withScope(be, run);
  };
  return { losses, trainAccuracy: evalAcc(trainSet), testAccuracy: evalAcc(testSet) };
};
