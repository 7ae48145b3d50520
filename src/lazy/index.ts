/** `tmig/lazy`: what an application imports to take part in a lazy MongoDB -> MySQL migration. */
export { createLazyStore, StageChangedError, DuplicateKeyError, type LazyStore, type LazyStoreOptions, type LazyStoreStats } from './lazyStore';
export { createMysqlPool } from '../engines/mysql/connection';
export { parseLazyPlan, type LazyPlan } from '../contract/lazyPlan';
export { DocumentRejected } from '../engines/mongodb/documentMapping';
export { LazyStage, STAGE_NAMES } from '../contract/lazyMigration';
