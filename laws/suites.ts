import type { ConformanceCase } from './conformance';
import { basicCases } from './cases';
import { attentionCases } from './attention';
import { deltaCases } from './delta';
import { poolingCases } from './pooling';
import { tensorProductCases } from './equivariant';
import { pmiCases } from './pmi';
import { affineCases } from './affine';
import { sparseCases } from './sparse';

/**
 * Every family of conformance cases, by name. Each backend's conformance test and the peak-memory
 * test run all of them, so a new primitive's cases are one line here.
 */
export const conformanceSuites: Readonly<Record<string, readonly ConformanceCase[]>> = {
  basic: basicCases,
  attention: attentionCases,
  delta: deltaCases,
  pooling: poolingCases,
  tensorProduct: tensorProductCases,
  pmi: pmiCases,
  affine: affineCases,
  sparse: sparseCases,
};
