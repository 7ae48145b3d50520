import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import { PG_ADMIN_URL } from '../helpers/pg';
import { governorWorkflowId, stateQuery } from '../../src/contract/governorProtocol';
import { targetLockPool } from '../../src/workflows/targetLock';
import { activityCompletedAt, activityScheduledAt, poolReleasesAt, startedActivityType, targetLockReleasedAt, workflowTasksBetween } from '../helpers/historyOrder';

/**
 * Issue 11, item 5: a failed run marks its target failed while it still holds the target's lock
 * (a permit of limit 1), so the mark can never land on the next run of the same tenant, which
 * waits for that permit. Checked on the real workflow's history (the old order, release then mark,
 * fails it).
 */
const src = 'tmig_ord_src';
const dst = 'tmig_ord_dst';
const okSrc = 'tmig_ord_ok_src';
const okDst = 'tmig_ord_ok_dst';

describe('failure handling runs while the target lock is held', () => {
  let stack: Stack;

  beforeAll(async () => {
    await dropDatabases(src, dst, okSrc, okDst);
    await createSampleTenant(PG_ADMIN_URL, src, 200);
    await createSampleTenant(PG_ADMIN_URL, okSrc, 200);
    // A large object: refused (UnsupportedFeature) when the source is described, after the target exists.
    await withDb(src, (db) => db.query(`SELECT lo_from_bytea(0, 'refused'::bytea)`));
    stack = await startStack();
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(src, dst, okSrc, okDst);
  });

  it('markTargetFailed completes before the target-lock permit is released (the report after)', async () => {
    const target = { server: 'target', database: dst };
    const failing = await stack.env.client.workflow.start('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-ord-fail', args: [{ tenantId: 'ord', source: { server: 'local', database: src }, target }],
    });
    const err = await failing.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);

    const events = (await failing.fetchHistory()).events ?? [];
    const marked = activityCompletedAt(events, 'markTargetFailed');
    const released = targetLockReleasedAt(events, target);
    expect(activityScheduledAt(events, 'prepareTarget')).toBeGreaterThan(-1);
    expect(marked, 'markTargetFailed completed').toBeGreaterThan(-1);
    expect(released, 'target lock released').toBeGreaterThan(-1);
    expect(marked).toBeLessThan(released);
    // The failure report is written after the release (it does not touch the target).
    expect(activityScheduledAt(events, 'reportTenant')).toBeGreaterThan(released);

    const run = await withDb(dst, (db) => db.query('SELECT status, last_error FROM _tmig.run'));
    expect(run.rows[0]).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/large object/i) });
  }, 180_000);

  it('a finished run hands its server permits back in the workflow task that reports and marks complete, then the target lock', async () => {
    const target = { server: 'target', database: okDst };
    const handle = await stack.env.client.workflow.start('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-ord-ok', args: [{ tenantId: 'ord-ok', source: { server: 'local', database: okSrc }, target }],
    });
    expect((await handle.result()).ok).toBe(true);
    const events = (await handle.fetchHistory()).events ?? [];
    const complete = activityCompletedAt(events, 'markTargetComplete');
    const lock = targetLockReleasedAt(events, target);
    // The heavy phases held a permit of both servers' pools; each was handed back before the report.
    for (const pool of ['local', 'target']) {
      const [released] = poolReleasesAt(events, pool);
      expect(released, `${pool} permit released`).toBeGreaterThan(-1);
      expect(released).toBeLessThan(activityScheduledAt(events, 'reportTenant'));
      // By local activity: the report and the mark complete follow in the same workflow task.
      expect(workflowTasksBetween(events, released, complete), `workflow tasks between the ${pool} release and mark complete`).toBe(0);
    }
    expect(complete).toBeGreaterThan(-1);
    expect(lock).toBeGreaterThan(complete);
    // Free permits (target lock, both servers' pools) came back in the acquire's answer
    // (update-with-start): three acquires, and not one permitGranted signal to wait for.
    expect(events.filter((e) => startedActivityType(e) === 'ensureGovernorAndAcquire')).toHaveLength(3);
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'permitGranted')).toHaveLength(0);
    const run = await withDb(okDst, (db) => db.query('SELECT status FROM _tmig.run'));
    expect(run.rows[0].status).toBe('complete');
    // The target lock's governor got the permit back by the release signal, well within its
    // liveness check's 30 s (a signal sent as the workflow closes is dropped by the server).
    const lockGovernor = stack.env.client.workflow.getHandle(governorWorkflowId(targetLockPool(target)));
    const deadline = Date.now() + 10_000;
    let holders: unknown[] | undefined;
    while (Date.now() < deadline) {
      holders = (await lockGovernor.query(stateQuery).catch(() => undefined))?.holders;
      if (holders === undefined || holders.length === 0) break; // ended idle, or holds nothing
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(holders ?? []).toEqual([]);
  }, 180_000);
});
