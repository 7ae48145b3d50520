/**
 * Phases `fetch` and `restore` (backup tenants only): stage the backup on the SQL Server host,
 * then restore it. Holds a permit of the restore host's pool: restores are the heaviest thing a SQL Server does.
 */
import type { TenantRun } from '../tenantRun';
import { restores } from '../activityStubs';
import { withPermits } from '../permits';
import { summary } from '../uiMetadata';

export async function stageAndRestore(run: TenantRun): Promise<void> {
  const { input } = run;
  if (!input.backup) return;
  const backup = input.backup;
  const restore = async () => {
    run.enter('fetch');
    const staged = await restores.stageBackup.executeWithOptions(summary(`fetch backup s3://${backup.bucket}/${backup.key}`),
      [{ tenantId: input.tenantId, backup, sourceServer: input.source.server }]);
    await run.untilResumed();
    run.enter('restore');
    await restores.restoreBackup.executeWithOptions(summary(`restore backup as ${run.sourceName}`), [run.ref, { backupPath: staged.workerPath }]);
  };
  if (run.opts.throttle) await withPermits([{ pool: `restore-${input.source.server}` }], input.tenantId, restore, { onWaiting: () => run.enter('waiting-permit') });
  else await restore();
}
