import type { HostTensor } from '../tensor/tensor';

/**
 * Fraction of rows whose largest logit is the label: logits `[..., C]`, labels `[...]` (class ids as
 * floats). Ties go to the lowest class.
 *
 * @example
 * argmaxAccuracy({ shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) }, { shape: [2], data: new Float32Array([0, 0]) }); // 0.5
 */
export const argmaxAccuracy = (logits: HostTensor, labels: HostTensor): number => {
  const c = logits.shape[logits.shape.length - 1]!;
  if (logits.data.length !== labels.data.length * c)
    throw new RangeError(`argmaxAccuracy: ${labels.data.length} labels need ${labels.data.length * c} logits, got ${logits.data.length}`);
  let right = 0;
  for (let i = 0; i < labels.data.length; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j]! > logits.data[i * c + best]!) best = j;
    if (best === labels.data[i]) right++;
  }
  return right / labels.data.length;
};
