/**
 * Part of phase `fetch`: a multi-volume RAR set is often uploaded one volume at a time, and intake starts
 * the run at the first volume. Wait (durable timers, no worker slot held) until every volume is there,
 * up to `volumeWaitSeconds`, then fail naming the missing files. Every volume's ETag is pinned the first
 * time it is seen: a volume replaced while the run waits or downloads fails the run, naming the file.
 */
import { ApplicationFailure, sleep, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../contract/failures';
import type { BackupRef } from '../../contract/migration';
import { DEFAULT_VOLUME_POLL_SECONDS, DEFAULT_VOLUME_WAIT_SECONDS, parseVolumeName, type VolumePin } from '../../contract/volumeSet';
import type { TenantRun } from '../tenantRun';
import { light } from '../activityStubs';
import { summary } from '../uiMetadata';
import { workflowNow } from '../clock';

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The pinned volumes of the set (undefined for a backup that is not a multi-volume set). */
export async function awaitBackupVolumes(run: TenantRun, backup: BackupRef): Promise<VolumePin[] | undefined> {
  if (!parseVolumeName(backup.key)) return undefined;
  const { input } = run;
  const waitMs = (input.options?.volumeWaitSeconds ?? DEFAULT_VOLUME_WAIT_SECONDS) * 1000;
  const pollMs = (input.options?.volumePollSeconds ?? DEFAULT_VOLUME_POLL_SECONDS) * 1000;
  const retryHint = `tmig retry ${workflowInfo().workflowId}`;
  const pinned = new Map<string, string>();
  const startedAt = workflowNow().getTime();
  run.enter('fetch');
  for (;;) {
    const seen = await light.inspectBackupVolumes.executeWithOptions(summary(`look for the volumes of s3://${backup.bucket}/${backup.key}`),
      [{ tenantId: input.tenantId, backup }]);
    for (const v of seen.volumes) {
      const was = pinned.get(v.key);
      if (was === undefined) pinned.set(v.key, v.etag);
      else if (was !== v.etag) {
        throw ApplicationFailure.nonRetryable(`tenant ${input.tenantId}: volume s3://${backup.bucket}/${v.key} was replaced mid-run `
          + `(ETag now ${v.etag}, pinned ${was} when first seen); once the set is final, start a new run: ${retryHint}`, FailureType.SourceMissing);
      }
    }
    if (seen.missing.length === 0) {
      delete run.progress.waitingFor;
      return seen.volumes.map((v) => ({ key: v.key, etag: v.etag }));
    }
    const waited = workflowNow().getTime() - startedAt;
    if (waited >= waitMs) {
      throw ApplicationFailure.nonRetryable(`tenant ${input.tenantId}: multi-volume set s3://${backup.bucket}/${backup.key} is incomplete after `
        + `waiting ${Math.round(waited / 1000)} s (volumeWaitSeconds ${waitMs / 1000}): missing ${seen.missing.map(baseName).join(', ')}; `
        + `upload them, then start a new run: ${retryHint}`, FailureType.VolumesMissing);
    }
    run.progress.waitingFor = `volumes ${seen.missing.map(baseName).join(', ')}`;
    run.showDetails();
    await sleep(Math.min(pollMs, waitMs - waited));
  }
}
