/**
 * The loss box training appends to a spec's model, as a term, so that it is checked, drawn
 * (`catoptric diagram --loss`) and lowered like any other:
 *
 * - one output: `seq(net: par(model: M, id), loss: L)`;
 * - m outputs: `seq(net: par(model: M, id(m)), permute (each output next to its target), loss: par(L, …, L), total: add(m))`.
 *
 * `L` is `softmax_xent` (logits `[..., classes]` against class ids) or `mse` (values against values of
 * the output's shape). The model's parameter `k` is the loss model's `net.model.k`.
 */
import type { Plan } from '../plan/plan';
import type { Shape } from '../tensor/shape';
import { type Term, add, id, named, par, permute, prim, seq } from '../term/term';

/** The losses training can append. */
export const LOSSES = ['xent', 'mse'] as const;
export type LossKind = (typeof LOSSES)[number];

const PREFIX = 'net.model';

/** The loss model's key of the spec model's parameter (or node path) `k`. */
export const lossParamKey = (k: string): string => (k ? `${PREFIX}.${k}` : PREFIX);
/** The spec model's key of the loss model's parameter `k` (inverse of {@link lossParamKey}). */
export const modelParamKey = (k: string): string => (k === PREFIX ? '' : k.slice(PREFIX.length + 1));

/** A record with its keys mapped. */
export const mapKeys = <A>(r: Readonly<Record<string, A>>, f: (k: string) => string): Record<string, A> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [f(k), v]));

/** The loss term around `model`, which has `outputs` outputs. */
export const withLossBox = (model: Term, loss: LossKind, outputs: number): Term => {
  const box = prim(loss === 'xent' ? 'softmax_xent' : 'mse');
  const net = named('net', par(named('model', model), id(outputs)));
  if (outputs === 1) return seq(net, named('loss', box));
  const interleave = Array.from({ length: 2 * outputs }, (_, i) => (i % 2 === 0 ? i / 2 : outputs + (i - 1) / 2));
  return seq(net, permute(interleave), named('loss', par(...Array.from({ length: outputs }, () => box))), named('total', add(outputs)));
};

/** Shapes of the targets the loss term takes after the model's inputs, one per output. */
export const targetShapes = (outputs: readonly Shape[], loss: LossKind): Shape[] =>
  outputs.map((s) => (loss === 'xent' ? s.slice(0, -1) : [...s]));

/** A spec's plan with its node paths moved under the loss model (`net.model.…`). */
export const planUnderLoss = (p: Plan): Plan => ({
  ...(p.variants ? { variants: mapKeys(p.variants, lossParamKey) } : {}),
  ...(p.remat ? { remat: p.remat.map(lossParamKey) } : {}),
  ...(p.schedules ? { schedules: mapKeys(p.schedules, lossParamKey) } : {}),
});
