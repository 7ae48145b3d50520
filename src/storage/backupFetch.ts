import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from '@temporalio/activity';
import { join, posix } from 'node:path';
import { BadInputError, FailureType } from '../contract/failures';
import type { MigratorConfig } from '../config/configSchema';
import type { BackupRef } from '../contract/migration';
import { downloadObject, type DownloadProgress } from './objectDownload';
import { s3ClientFromConfig } from './s3Client';
import { parseVolumeName, volumeSet } from '../archives/rarVolumes';
import type { VolumePin } from '../contract/volumeSet';
import { downloadDir, tenantWorkDir } from '../archives/workDir';

export interface FetchBackupInput {
  tenantId: string;
  backup: BackupRef;
  /**
   * The volumes of a multi-volume set with the ETags pinned when the workflow first saw them: fetched
   * as given, and a volume whose ETag changed since fails the run naming it. Without it the set is listed.
   */
  volumes?: VolumePin[];
}

export interface FetchBackupResult {
  /** Local path of the object (the first volume of a multi-volume set). */
  path: string;
  bytes: number;
  etag: string;
}

/** What a fetch heartbeats: the resume point of the object being downloaded, plus overall progress. */
export interface FetchHeartbeat extends DownloadProgress {
  volume: number;
  volumes: number;
  bytesDone: number;
}

function localName(key: string): string {
  const name = posix.basename(key);
  if (!name || name === '.' || name === '..') throw new BadInputError(`backup key "${key}" does not name a file`);
  return name;
}

/** The keys to fetch: the object itself, or every volume of a `.partN.rar` set (listed next to it). */
async function keysToFetch(s3: S3Client, backup: BackupRef): Promise<string[]> {
  const v = parseVolumeName(backup.key);
  if (!v) return [backup.key];
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: backup.bucket, Prefix: `${v.stem}.part`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const set = volumeSet(backup.key, keys);
  const numbers = set.map((k) => parseVolumeName(k)!.number);
  if (numbers.some((n, i) => n !== i + 1)) {
    throw new BadInputError(`s3://${backup.bucket}/${backup.key}: volume set is incomplete (found parts ${numbers.join(', ')})`);
  }
  return set;
}

/** The parts of the activity context the fetch uses (so a composite activity can share them). */
export type FetchContext = Pick<Context, 'heartbeat' | 'cancellationSignal' | 'log'>
  & { info: { heartbeatDetails?: unknown; workflowExecution?: { workflowId: string } } };

/** Downloads the backup object(s) of one tenant, resuming from the heartbeat details of an earlier attempt. */
export async function fetchTenantBackup(config: MigratorConfig, input: FetchBackupInput, ctx: FetchContext): Promise<FetchBackupResult> {
  const s3 = s3ClientFromConfig(config.s3);
  const dir = downloadDir(tenantWorkDir(config, input.tenantId));
  const details = ctx.info.heartbeatDetails as Partial<FetchHeartbeat> | undefined;
  const resume = details?.key !== undefined && details.offset !== undefined && details.etag !== undefined ? details as FetchHeartbeat : undefined;
  let last: FetchHeartbeat | undefined = resume;
  // Keeps the activity alive through long quiet steps (the ETag re-hash of a large file).
  const beat = setInterval(() => ctx.heartbeat(last), 5000);
  try {
    const pins = new Map((input.volumes ?? []).map((v) => [v.key, v.etag]));
    const keys = input.volumes?.length ? input.volumes.map((v) => v.key) : await keysToFetch(s3, input.backup);
    const workflowId = ctx.info.workflowExecution?.workflowId ?? '<workflowId>';
    let bytesDone = 0;
    let first: FetchBackupResult | undefined;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i];
      const res = await downloadObject({
        s3, bucket: input.backup.bucket, key, dest: join(dir, localName(key)),
        expectedEtag: key === input.backup.key ? input.backup.etag ?? pins.get(key) : pins.get(key),
        changedMessage: key === input.backup.key ? undefined : (now, pinned) => `tenant ${input.tenantId}: volume s3://${input.backup.bucket}/${key} `
          + `was replaced mid-run (ETag now ${now}, pinned ${pinned} when first seen); the set is not the one this run started with. `
          + `Once the set is final, start a new run: tmig retry ${workflowId}`,
        resumeFrom: resume && resume.key === key ? resume : undefined,
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          last = { ...p, volume: i + 1, volumes: keys.length, bytesDone: bytesDone + p.offset };
          ctx.heartbeat(last);
        },
      });
      bytesDone += res.bytes;
      if (i === 0) first = { path: res.path, bytes: 0, etag: res.etag };
      ctx.log.info('backup object fetched', { tenantId: input.tenantId, key, bytes: res.bytes, resumedFrom: res.resumedFrom, verified: res.verified });
    }
    return { ...first!, bytes: bytesDone };
  } catch (err) {
    // A full work disk is retried, so the tenant may still succeed: the worker log keeps each occurrence.
    if ((err as { type?: string }).type === FailureType.DiskFull) ctx.log.warn((err as Error).message, { tenantId: input.tenantId });
    throw err;
  } finally {
    clearInterval(beat);
    s3.destroy();
  }
}
