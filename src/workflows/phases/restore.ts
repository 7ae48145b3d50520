/**
 * Phases `fetch` and `restore` (backup tenants only): stage the backup on the SQL Server host,
 * then restore it. Holds a permit of the restore host's pool: restores are the heaviest thing a SQL Server does.
 * A multi-volume set is first waited for until complete (without the permit: waiting is not restoring).
 */
import { patched } from '@temporalio/workflow';
import type { TenantRun } from '../tenantRun';
import { restores } from '../activityStubs';
import { withPermits } from '../permits';
import { summary } from '../uiMetadata';
import { awaitBackupVolumes } from './volumeWait';

export async function stageAndRestore(run: TenantRun): Promise<void> {
  const { input } = run;
  if (!input.backup) return;
  const backup = input.backup;
  // Patched: the volume wait adds activities before the stage; older histories replay without them.
  const volumes = patched('wait-for-backup-volumes') ? await awaitBackupVolumes(run, backup) : undefined;
  const restore = async () => {
    run.enter('fetch');
    const staged = await restores.stageBackup.executeWithOptions(summary(`fetch backup s3://${backup.bucket}/${backup.key}`),
      [{ tenantId: input.tenantId, backup, sourceServer: input.source.server, ...(volumes ? { volumes } : {}) }]);
    await run.untilResumed();
    run.enter('restore');
    await restores.restoreBackup.executeWithOptions(summary(`restore backup as ${run.sourceName}`), [run.ref, { backupPath: staged.workerPath }]);
  };
  if (run.opts.throttle) await withPermits([{ pool: `restore-${input.source.server}` }], input.tenantId, restore, { onWaiting: () => run.enter('waiting-permit') });
  else await restore();
}
