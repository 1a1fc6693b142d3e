export * from './csr';
export * from './spgemm';
export * from './ops';
export * from './generate';
export * from './matrix-market';
