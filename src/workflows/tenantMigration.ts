/**
 * tenantMigration: one tenant, end to end, as a short runner over the phase modules in ./phases:
 * prepare → stage/restore → describe → audit → schema → copy → post-data → validate → report →
 * finalize. Any failure marks the target failed/incomplete; a later run resumes from the
 * checkpoints stored in the target. Adding a phase is one module plus one line here.
 */
import { patched } from '@temporalio/workflow';
import type { TenantMigrationInput, TenantMigrationResult } from '../contract/migration';
import { light } from './activityStubs';
import { startTenantRun } from './tenantRun';
import { permitWaitMs, withPermits } from './permits';
import { targetLockPool } from './targetLock';
import { prepare } from './phases/prepare';
import { stageAndRestore } from './phases/restore';
import { describe } from './phases/describe';
import { audit } from './phases/audit';
import { schema } from './phases/schema';
import { copy } from './phases/copy';
import { postData } from './phases/postData';
import { validate } from './phases/validate';
import { report } from './phases/report';
import { finalize, finalizeFailure, markFailed } from './phases/finalize';
import { startOnline } from './phases/onlineContext';
import { captureChanges, refuseUnstreamable, releaseOnFailure } from './phases/cdc';
import { streamAndCutOver } from './phases/cutover';

export { targetLockPool } from './targetLock';

export async function tenantMigration(input: TenantMigrationInput): Promise<TenantMigrationResult> {
  const run = startTenantRun(input);
  const { opts } = run;
  const online = startOnline(run); // options.online: change capture, streaming, cutover, rollback window

  // One migration per target database at a time (two uploads of one tenant, two waves naming the
  // same target): a permit of limit 1 on the target; a run that never got it never touches the target.
  let ownsTarget = false;
  const migrate = async (): Promise<TenantMigrationResult> => {
    if (online) await refuseUnstreamable(online);
    ownsTarget = true;
    if (await prepare(run) === 'complete') {
      const done = run.result(true, { alreadyComplete: true });
      // This run has its own report too ("already complete", nothing copied).
      if (patched('report-already-complete')) {
        run.enter('report');
        done.reportPath = (await light.reportTenant({ ...run.ref, waveId: input.waveId, runKey: input.runKey }, done, undefined)).htmlPath;
      }
      run.enter('done');
      return done;
    }
    await stageAndRestore(run);
    const described = await describe(run);
    await audit(run);
    await schema(run);
    if (online) await captureChanges(online);

    // Heavy phases hold a permit of each server's pool (central throttling across all waves).
    const heavyPhases = async () => {
      const items = await copy(run, described);
      await postData(run);
      // An online source keeps changing: its final check runs at cutover, against the frozen source.
      return online ? { tables: [], validation: undefined } : validate(run, described, items);
    };
    const pools = [...new Set([input.source.server, input.target.server])].map((pool) => ({ pool }));
    const { tables, validation } = opts.throttle
      ? await withPermits(pools, input.tenantId, heavyPhases, {
        onWaiting: () => run.enter('waiting-permit'),
        onGranted: () => { run.progress.permitsWaitedMs = permitWaitMs(); },
      })
      : await heavyPhases();

    if (online) await streamAndCutOver(run, online, described);
    const final = await report(run, { tables, validation });
    await finalize(run, online?.result.outcome === 'rolled-back' ? 'rolled back to the source after cutover' : undefined);
    return final;
  };

  // The target is marked failed and the work directory cleaned while the target permit is still
  // held (patched: histories from before replay with the old order).
  let marked = false;
  const migrateHoldingTarget = async (): Promise<TenantMigrationResult> => {
    try {
      return await migrate();
    } catch (err) {
      if (patched('mark-failed-while-holding-target-permit')) {
        await markFailed(run, err, ownsTarget);
        marked = true;
      }
      throw err;
    }
  };

  // The target lock is taken even with `throttle: false` (it is correctness, not throttling): a
  // tenant that another wave is migrating waits for it here instead of failing or overlapping.
  const lockTarget = opts.throttle || patched('target-lock-always');
  try {
    return lockTarget
      ? await withPermits([{ pool: targetLockPool(input.target), defaultLimit: 1 }], input.tenantId, migrateHoldingTarget, { onWaiting: () => run.enter('waiting-permit') })
      : await migrateHoldingTarget();
  } catch (err) {
    if (online) await releaseOnFailure(online);
    throw await finalizeFailure(run, err, ownsTarget, marked);
  }
}
