export * from './backend';
export * from './transfer';
