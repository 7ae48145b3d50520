/** Backup intake activities: register these on the worker (heavy task queue: they move large files). */
export { fetchBackup, type FetchBackupInput, type FetchBackupResult } from '../storage/backupFetch';
export { extractArchive, type ExtractArchiveInput } from '../archives/archiveExtraction';
export { locateBackup, type LocateBackupInput, type LocateBackupResult } from '../archives/backupLocation';
export { cleanupWorkDir, type CleanupWorkDirInput, type CleanupWorkDirResult } from '../archives/workDirCleanup';
export { stageBackup, type StageBackupInput, type StageBackupResult } from './backupStaging';
