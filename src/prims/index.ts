// Importing this module registers the basic primitives.
export * from './structural';
export * from './basic';
