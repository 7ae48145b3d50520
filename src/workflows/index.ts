/** Every workflow the workers host (the worker bundles this file). */
export { tenantMigration } from './tenantMigration';
export { migrationWave } from './migrationWave';
export { validateMigration } from './validateMigration';
export { concurrencyGovernor } from './concurrencyGovernor';
export { intakeScan } from './intakeScan';
export { lazyMigration } from './lazyMigration';
