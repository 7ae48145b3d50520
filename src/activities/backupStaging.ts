/** Backup intake activities (heavy task queue: they move large files): thin entry points over archives/ and storage/. */
import { Context } from '@temporalio/activity';
import { loadConfig } from '../config/loadConfig';
import type { BackupRef } from '../contract/migration';
import { runActivity } from './runActivity';
import type { ExtractArchiveInput } from '../archives/archiveExtraction';
import type { ExtractionLimits } from '../archives/extractionSink';
import type { FetchBackupInput, FetchBackupResult } from '../storage/backupFetch';
import type { LocateBackupInput, LocateBackupResult } from '../archives/backupLocation';
import type { CleanupWorkDirInput, CleanupWorkDirResult } from '../archives/workDirCleanup';
import type { InspectVolumesInput, VolumePin, VolumeSetState } from '../contract/volumeSet';

// Archive extractors and the AWS SDK are loaded on first use: tenants migrated from a live server never need them.
const fetchTenantBackup: typeof import('../storage/backupFetch').fetchTenantBackup = async (...a) => (await import('../storage/backupFetch')).fetchTenantBackup(...a);
const extractTenantArchive: typeof import('../archives/archiveExtraction').extractTenantArchive = async (...a) => (await import('../archives/archiveExtraction')).extractTenantArchive(...a);
const placeBackup: typeof import('../archives/backupLocation').placeBackup = async (...a) => (await import('../archives/backupLocation')).placeBackup(...a);
const cleanTenantWorkDir: typeof import('../archives/workDirCleanup').cleanTenantWorkDir = async (...a) => (await import('../archives/workDirCleanup')).cleanTenantWorkDir(...a);

export interface StageBackupInput {
  tenantId: string;
  backup: BackupRef;
  /** SQL Server that restores it (`servers.<name>` with `backupDir`). */
  sourceServer: string;
  limits?: Partial<ExtractionLimits>;
  /** Pinned volumes of a multi-volume set (see FetchBackupInput.volumes). */
  volumes?: VolumePin[];
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
    const fetched = await fetchTenantBackup(config, { tenantId: input.tenantId, backup: input.backup, volumes: input.volumes }, ctx);
    const { dir, files } = await extractTenantArchive(config, { tenantId: input.tenantId, path: fetched.path, limits: input.limits }, ctx);
    const placed = await placeBackup(config, { tenantId: input.tenantId, dir, sourceServer: input.sourceServer,
      origin: { bucket: input.backup.bucket, key: input.backup.key, etag: fetched.etag } });
    ctx.log.info('backup staged', { tenantId: input.tenantId, serverPath: placed.serverPath, bytes: placed.bytes });
    return { ...placed, fetched, files };
  });
}

/**
 * Activity: downloads a tenant's backup object(s) into its work directory. Heartbeats byte progress and rate; a
 * retried attempt resumes the interrupted object from the offset in the last heartbeat.
 */
export async function fetchBackup(input: FetchBackupInput): Promise<FetchBackupResult> {
  return runActivity(() => fetchTenantBackup(loadConfig(), input, Context.current()));
}

/**
 * Activity: one look at a multi-volume set in S3 (volumes present with their ETags, volumes known to be
 * missing). Light: a listing and two small range reads. The workflow waits and asks again while volumes are missing.
 */
export async function inspectBackupVolumes(input: InspectVolumesInput): Promise<VolumeSetState> {
  return runActivity(async () => {
    const [{ inspectVolumeSet }, { s3ClientFromConfig }] = await Promise.all([import('../storage/volumeInspection'), import('../storage/s3Client')]);
    const s3 = s3ClientFromConfig(loadConfig().s3);
    try {
      return await inspectVolumeSet(s3, input.backup);
    } finally {
      s3.destroy();
    }
  });
}

/** Activity: extracts the fetched archive into the tenant's work directory. Idempotent via a completion marker. */
export async function extractArchive(input: ExtractArchiveInput): Promise<{ dir: string; files: string[] }> {
  return runActivity(() => extractTenantArchive(loadConfig(), input, Context.current()));
}

/** Activity: locate the .bak in the extracted tree, verify its media header, place it for the SQL Server host. */
export async function locateBackup(input: LocateBackupInput): Promise<LocateBackupResult> {
  return runActivity(async () => {
    const res = await placeBackup(loadConfig(), input);
    Context.current().log.info('backup placed', { tenantId: input.tenantId, server: input.sourceServer, serverPath: res.serverPath, bytes: res.bytes });
    return res;
  });
}

/** Activity: clean the tenant's work directory after success; keep it (size-limited) after failure. */
export async function cleanupWorkDir(input: CleanupWorkDirInput): Promise<CleanupWorkDirResult> {
  return runActivity(async () => {
    const res = await cleanTenantWorkDir(loadConfig(), input);
    Context.current().log.info('work directory cleaned', { tenantId: input.tenantId, ok: input.ok, ...res });
    return res;
  });
}

export type { FetchBackupInput, FetchBackupResult, ExtractArchiveInput, LocateBackupInput, LocateBackupResult, CleanupWorkDirInput, CleanupWorkDirResult };
