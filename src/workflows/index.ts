/** Every workflow the workers host (the worker bundles this file). */
export { tenantMigration } from './tenantMigration';
export { migrationWave } from './migrationWave';
export { concurrencyGovernor } from './governor';
export { intakeScan } from './intakeScan';
