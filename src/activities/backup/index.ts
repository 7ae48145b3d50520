/** Backup intake activities: register these on the worker (heavy task queue: they move large files). */
export { fetchBackup, type FetchBackupInput, type FetchBackupResult } from './fetchBackup';
export { extractArchive, type ExtractArchiveInput } from './extractArchive';
export { locateBackup, type LocateBackupInput, type LocateBackupResult } from './locateBackup';
export { cleanupWorkDir, type CleanupWorkDirInput, type CleanupWorkDirResult } from './cleanupWorkDir';
export { stageBackup, type StageBackupInput, type StageBackupResult } from './stageBackup';
