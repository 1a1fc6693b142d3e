export * from './error';
export * from './term';
export * from './primitive';
export * from './check';
export { formatErrors } from './report';
export * from './builder';
export * from './codec';
export { specSchema, codecSchema } from './schema';
export * from './describe';
