/**
 * Built-in synthetic tasks (spirals, parity, modular arithmetic, att-svm): seeded generators that
 * fit a model's shapes. Importing this module registers them.
 */
export * from './task';
export * from './builtin';
export { twoSpirals } from './spirals';
export {
  specTrainer, specOptimizer, withXentLoss, DEFAULT_LR, DEFAULT_STEPS, planUnderLoss, lossParamKey, modelParamKey, type SpecTrainer, type TrainerOptions,
} from './trainer';
