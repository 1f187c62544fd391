/**
 * protocol/: the wire contract between nhd's daemon and its clients. One area per file, each
 * holding params and result types and a namespace per method (`method`, `direction`, `type`).
 *
 * IMPORTANT: this directory holds no logic and imports nothing from elsewhere in the repository;
 * only `vscode-jsonrpc` for the message types. docs/protocol.md and protocol/metaModel.json are
 * generated from it (`npm run gen`); a test fails when they drift.
 */
export * from './version';
export * from './types';
export * from './errors';
export * from './initialize';
export * from './status';
export * from './config';
export * from './workloads';
export * from './dev';
export * from './sync';
export * from './portForward';
export * from './terminal';
export * from './logs';
export * from './run';
export * from './debug';
export * from './app';
export * from './daemon';
export * from './commands';
export * from './testHooks';
