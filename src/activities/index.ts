/** Every activity the workers host. Workflows import this module as types only. */
export { prepareTarget, describeSource, listMigratedTables } from './prepareTarget';
export { createSchema, applyPostData } from './applySchema';
export { planCopy } from './planCopy';
export { copyTableSlice, type CopySliceResult } from './copyTableSlice';
export { copySmallTables } from './copySmallTables';
export { validateTable, validateTables } from './validateTables';
export { targetHasBookkeeping, validateUnmanagedPair } from './validatePair';
export { markTargetComplete, markTargetFailed, markValidationFailed } from './markTarget';
export { ensureGovernorAndAcquire, findClosedPermitHolders, releasePermits } from './governorPermits';
export { fetchBackup, extractArchive, locateBackup, cleanupWorkDir, stageBackup, inspectBackupVolumes } from './backupStaging';
export { auditTenantSource } from './auditTenantSource';
export { checkTenantIntegrity } from './checkTenantIntegrity';
export { reportTenant, reportWave } from './reportRun';
export { listBackupObjects, startTenantMigrations } from './intakeBackups';
export { restoreBackup, dropRestoredSource } from './restoreBackup';
// Loaded on first call (mysql2, mongodb): see lazyActivities.ts.
export {
  lazyInstall, lazySetStage, lazyReverseSync, lazyConfirmWriters, lazyCounts, lazyBackfillCollection, lazyValidate,
  lazyMarkBackfillDone, lazyArchiveAndDrop,
} from './lazyActivities';
export {
  checkOnlineSource, prepareChangeCapture, streamChanges, freezeSide, unfreezeSide, writeDrainMarker, syncStreamSequences,
  checkFrozenTable, validateDeferredForeignKeys, runTenantSwitchHook, startReverseReplication, dropChangeCapture,
} from './cdc';
export { accountSplitWave } from './splitAccounting';
