// Importing this module registers every primitive description.
export * from './structural';
export * from './basic';
export * from './attention';
export * from './tensor-product';
export * from './pooling';
export * from './delta';
export * from './pmi';
export * from './affine';
export * from './sparse';
