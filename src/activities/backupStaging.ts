import { Context } from '@temporalio/activity';
import { loadConfig } from '../config/loadConfig';
import type { BackupRef } from '../contract/migration';
import { runActivity } from './runActivity';
import { extractTenantArchive } from '../archives/archiveExtraction';
import type { ExtractionLimits } from '../archives/extractionSink';
import { fetchTenantBackup, type FetchBackupResult } from '../storage/backupFetch';
import { placeBackup, type LocateBackupResult } from '../archives/backupLocation';

export interface StageBackupInput {
  tenantId: string;
  backup: BackupRef;
  /** SQL Server that restores it (`servers.<name>` with `backupDir`). */
  sourceServer: string;
  limits?: Partial<ExtractionLimits>;
}

export interface StageBackupResult extends LocateBackupResult {
  fetched: FetchBackupResult;
  files: string[];
}

/**
 * fetchBackup -> extractArchive -> locateBackup in one activity, for deployments with several heavy workers
 * that do not share a work directory: the three steps need the same disk, and separate activities may land on
 * different machines. Each step is idempotent, so a retry redoes only what is missing (the download resumes).
 */
export async function stageBackup(input: StageBackupInput): Promise<StageBackupResult> {
  return runActivity(async () => {
    const config = loadConfig();
    const ctx = Context.current();
    const fetched = await fetchTenantBackup(config, { tenantId: input.tenantId, backup: input.backup }, ctx);
    const { dir, files } = await extractTenantArchive(config, { tenantId: input.tenantId, path: fetched.path, limits: input.limits }, ctx);
    const placed = await placeBackup(config, { tenantId: input.tenantId, dir, sourceServer: input.sourceServer });
    ctx.log.info('backup staged', { tenantId: input.tenantId, serverPath: placed.serverPath, bytes: placed.bytes });
    return { ...placed, fetched, files };
  });
}
