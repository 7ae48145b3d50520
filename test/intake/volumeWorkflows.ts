/**
 * Workflows for the volume-wait tests: a tenantMigration that runs the real volume wait (the same code the
 * real tenantMigration runs in its fetch phase) and then the real fetch and extract activities, and stops
 * there. The real RAR fixtures hold no SQL Server backup, so the chain cannot go on to locate and restore;
 * "succeeds" here means the whole set was waited for, downloaded against its pinned ETags and extracted.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../../src/activities';
import { TASK_QUEUE } from '../../src/contract/names';
import type { TenantMigrationInput } from '../../src/contract/migration';
import type { VolumePin } from '../../src/contract/volumeSet';
import { startTenantRun } from '../../src/workflows/tenantRun';
import { awaitBackupVolumes } from '../../src/workflows/phases/volumeWait';

const { fetchBackup, extractArchive } = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '2m', retry: { maximumAttempts: 2, initialInterval: '1s' },
});

export async function tenantMigration(input: TenantMigrationInput): Promise<{ volumes?: VolumePin[]; files: string[] }> {
  const run = startTenantRun(input);
  const volumes = await awaitBackupVolumes(run, input.backup!);
  const fetched = await fetchBackup({ tenantId: input.tenantId, backup: input.backup!, volumes });
  const { files } = await extractArchive({ tenantId: input.tenantId, path: fetched.path });
  return { volumes, files };
}
