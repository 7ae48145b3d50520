/** Every activity the workers host. Workflows import this module as types only. */
export { prepareTarget, describeSource, listMigratedTables } from './prepare';
export { createSchema, applyPostData } from './schema';
export { planCopy } from './plan';
export { copyTableSlice, type CopySliceResult } from './copy';
export { validateTable, validateTables } from './validate';
export { markTargetComplete, markTargetFailed } from './finalize';
export { ensureGovernorAndAcquire, findClosedPermitHolders } from './governor';
export { fetchBackup, extractArchive, locateBackup, cleanupWorkDir, stageBackup } from './backup';
export { auditTenantSource } from '../audit/auditActivity';
export { checkTenantIntegrity } from '../validation/integrityActivity';
export { reportTenant, reportWave } from '../reports/reportActivities';
export { listBackupObjects, startTenantMigrations } from '../intake/activities';
export { restoreBackup, dropRestoredSource } from './restore';
