/**
 * Built-in synthetic tasks (spirals, parity, modular arithmetic, att-svm): seeded generators that
 * fit a model's shapes. Importing this module registers them.
 */
export * from './task';
export * from './builtin';
export { twoSpirals } from './spirals';
export {
  specTrainer, dataTrainer, specOptimizer, withXentLoss, withLossModel, DEFAULT_LR, DEFAULT_STEPS, planUnderLoss, lossParamKey, modelParamKey,
  type SpecTrainer, type DataTrainer, type DataSource, type TrainerOptions,
} from './trainer';
export { LOSSES, type LossKind, withLossBox, targetShapes } from './loss';
