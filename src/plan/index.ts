/**
 * The space–time planner: the cost interpretation of a term, predicted memory of a plan, Revolve's
 * binomial checkpointing, and budgeted planning over the Pareto frontier of peak memory against flops.
 */
export * from './cost';
export * from './memory';
export * from './revolve';
export * from './planner';
export * from './report';
export * from './apply';
export * from './plan';
