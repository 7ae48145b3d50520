/**
 * The concurrency governor against a real Temporal dev server: permits bound concurrency across
 * waves, limits change at runtime, closed holders are reclaimed, continue-as-new loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WorkflowHandleWithFirstExecutionRunId, defaultPayloadConverter } from '@temporalio/client';
import { haveTemporal, startHarness, sleep, waitFor, type Harness } from './harness';
import { maxOverlap, records, resetRecords } from './activities';
import {
  acquireSignal, governorWorkflowId, setLimitSignal, stateQuery, type GovernorInput, type GovernorState,
} from '../../src/contract/governorProtocol';
import { concurrencyGovernor } from '../../src/workflows/concurrencyGovernor';
import { TASK_QUEUE } from '../../src/contract/names';
import { Worker } from '@temporalio/worker';
import { resetConfigCache } from '../../src/config/loadConfig';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe.skipIf(!haveTemporal)('concurrencyGovernor (real Temporal)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.stop(); });

  const startGovernor = (input: GovernorInput) => h.env.client.workflow.start(concurrencyGovernor, {
    workflowId: governorWorkflowId(input.pool), taskQueue: TASK_QUEUE, args: [input],
  });
  const governorState = (pool: string) =>
    h.env.client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery);

  /** Samples the governor's state until `done` settles, returning the largest holder count seen. */
  async function watchHolders(pool: string, done: Promise<unknown>): Promise<number> {
    let settled = false;
    void done.finally(() => { settled = true; });
    let max = 0;
    while (!settled) {
      const s = await governorState(pool).catch(() => undefined);
      if (s) max = Math.max(max, s.holders.length);
      await sleep(50);
    }
    return max;
  }

  it('three waves against one pool limited to 2: never more than 2 at once, all finish', async () => {
    resetRecords();
    const pool = 'pg-target-a';
    const waves = [1, 2, 3].map((w) => h.env.client.workflow.start('standInWave', {
      workflowId: `wave-a${w}`, taskQueue: TASK_QUEUE,
      args: [{ waveId: `a${w}`, tenants: [1, 2, 3].map((t) => ({
        tenantId: `a${w}-${t}`, pools: [pool], defaultLimit: 2, workMs: 400 })) }],
    }));
    const handles = await Promise.all(waves);
    const all = Promise.all(handles.map((w) => w.result()));
    const maxHolders = await watchHolders(pool, all);
    await all;
    const mine = records.filter((r) => r.tenantId.startsWith('a'));
    expect(mine).toHaveLength(9);
    expect(mine.every((r) => r.outcome === 'done')).toBe(true);
    expect(maxOverlap(mine)).toBe(2);
    expect(maxHolders).toBeLessThanOrEqual(2);
    const end = await governorState(pool);
    expect(end).toMatchObject({ pool, limit: 2, holders: [], queue: [], grantedTotal: 9 });
  });

  it('raising the limit to 4 at runtime lets 4 run (and never more)', async () => {
    resetRecords();
    const pool = 'pg-target-b';
    await startGovernor({ pool, limit: 2 });
    const tenants = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((t) => h.env.client.workflow.start('standInTenant', {
      workflowId: `tenant-b${t}`, taskQueue: TASK_QUEUE, args: [{ tenantId: `b${t}`, pools: [pool], workMs: 1500 }],
    })));
    await waitFor(async () => (await governorState(pool)).holders.length === 2 && records.length === 2, 10_000,
      '2 holders running their heavy work');
    const raisedAt = Date.now();
    await h.env.client.workflow.getHandle(governorWorkflowId(pool)).signal(setLimitSignal, { limit: 4 });
    const state = await waitFor(async () => {
      const s = await governorState(pool);
      return s.holders.length === 4 ? s : undefined;
    }, 10_000, '4 holders after setLimit 4');
    expect(state.limit).toBe(4);
    const waited = (await Promise.all(tenants.map((t) => t.result() as Promise<number>))).sort((a, b) => a - b);
    expect(maxOverlap(records)).toBe(4);
    // withPermits reports the time spent waiting: the last four waited about a full turn (1.5 s) more than the first two.
    expect(waited[4] - waited[1]).toBeGreaterThanOrEqual(1000);
    // Before the raise, only 2 had started.
    expect(records.filter((r) => r.start < raisedAt).length).toBe(2);
  });

  it('a holder terminated while holding: its permit is reclaimed (periodic check) and the next proceeds', async () => {
    resetRecords();
    const pool = 'pg-target-c';
    await startGovernor({ pool, limit: 1, reclaimIntervalSeconds: 1 });
    const holder = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-c1', taskQueue: TASK_QUEUE, args: [{ tenantId: 'c1', pools: [pool], workMs: 120_000 }],
    });
    await waitFor(async () => records.find((r) => r.tenantId === 'c1'), 10_000, 'c1 to start its heavy work');
    const next = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-c2', taskQueue: TASK_QUEUE, args: [{ tenantId: 'c2', pools: [pool], workMs: 100 }],
    });
    await waitFor(async () => (await governorState(pool)).queue.length === 1, 10_000, 'c2 queued');
    const terminatedAt = Date.now();
    await holder.terminate('test: holder dies holding a permit');
    await next.result();
    const c2 = records.find((r) => r.tenantId === 'c2')!;
    expect(c2.start - terminatedAt).toBeLessThan(5_000);
    const s = await governorState(pool);
    expect(s.holders).toEqual([]);
    expect(s.reclaimedTotal).toBe(1);
  });

  it('a waiter that closed before its grant is skipped when the grant signal fails', async () => {
    resetRecords();
    const pool = 'pg-target-d';
    // Long reclaim interval: only the failed grant signal can detect the dead waiter.
    await startGovernor({ pool, limit: 1, reclaimIntervalSeconds: 3600 });
    const start = (id: string, workMs: number) => h.env.client.workflow.start('standInTenant', {
      workflowId: `tenant-${id}`, taskQueue: TASK_QUEUE, args: [{ tenantId: id, pools: [pool], workMs }],
    });
    const d1 = await start('d1', 1500);
    await waitFor(async () => records.find((r) => r.tenantId === 'd1'), 10_000, 'd1 to start');
    const d2 = await start('d2', 100);
    await waitFor(async () => (await governorState(pool)).queue.length === 1, 10_000, 'd2 queued');
    const d3 = await start('d3', 100);
    await waitFor(async () => (await governorState(pool)).queue.length === 2, 10_000, 'd3 queued');
    await d2.terminate('test: waiter dies in the queue');
    await d1.result();
    await d3.result();
    expect(records.map((r) => r.tenantId)).toEqual(['d1', 'd3']);
    const s = await governorState(pool);
    expect(s).toMatchObject({ holders: [], queue: [], reclaimedTotal: 1, grantedTotal: 3 });
  });

  it('continues-as-new under load and loses no holder or waiter', async () => {
    resetRecords();
    const pool = 'pg-target-e';
    // Few events a run: even when a loaded server batches signals into fewer workflow tasks, the 15
    // tenants' acquires, grants and releases take the governor through several runs.
    const gov: WorkflowHandleWithFirstExecutionRunId = await startGovernor({ pool, limit: 3, continueAsNewAfterEvents: 20 });
    const firstRunId = gov.firstExecutionRunId;
    const ids = Array.from({ length: 15 }, (_, i) => `e${i + 1}`);
    const tenants = await Promise.all(ids.map((id) => h.env.client.workflow.start('standInTenant', {
      workflowId: `tenant-${id}`, taskQueue: TASK_QUEUE, args: [{ tenantId: id, pools: [pool], workMs: 300 }],
    })));
    let maxSeen = 0;
    const all = Promise.all(tenants.map((t) => t.result()));
    let settled = false;
    void all.finally(() => { settled = true; });
    while (!settled) {
      const s: GovernorState | undefined = await governorState(pool).catch(() => undefined);
      if (s) maxSeen = Math.max(maxSeen, s.holders.length);
      await sleep(100);
    }
    await all;
    expect(records.filter((r) => r.outcome === 'done')).toHaveLength(15);
    expect(maxOverlap(records)).toBe(3);
    expect(maxSeen).toBeLessThanOrEqual(3);
    // Every run, by following each run's continued-as-new event to the next (sampling the current
    // run id every 100 ms missed short runs on a loaded machine).
    const runIds: string[] = [];
    for (let runId: string | null | undefined = firstRunId; runId;) {
      runIds.push(runId);
      const history: Awaited<ReturnType<typeof gov.fetchHistory>> = await h.env.client.workflow.getHandle(gov.workflowId, runId).fetchHistory();
      const last = history.events?.[history.events.length - 1];
      runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    }
    expect(runIds.length).toBeGreaterThan(2);
    expect(runIds[runIds.length - 1]).toBe((await gov.describe()).runId);
    // Later runs started with the holders and waiters of the run before them.
    const carried = await Promise.all(runIds.slice(1).map(async (runId) => {
      const history = await h.env.client.workflow.getHandle(governorWorkflowId(pool), runId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      return defaultPayloadConverter.fromPayload<GovernorInput>(payload!);
    }));
    expect(carried.some((i) => (i.holders?.length ?? 0) > 0)).toBe(true);
    expect(carried.some((i) => (i.queue?.length ?? 0) > 0)).toBe(true);
    const s = await governorState(pool);
    expect(s).toMatchObject({ holders: [], queue: [], limit: 3, grantedTotal: 15 });
  });

  it('a tenant cancelled while waiting gives its place back; cancelled while holding releases at once', async () => {
    resetRecords();
    const pool = 'pg-target-f';
    // Reclaiming is far away: only withPermits' own release (in a non-cancellable scope) can free the permit.
    await startGovernor({ pool, limit: 1, reclaimIntervalSeconds: 3600 });
    const f1 = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-f1', taskQueue: TASK_QUEUE, args: [{ tenantId: 'f1', pools: [pool], workMs: 60_000 }],
    });
    await waitFor(async () => records.find((r) => r.tenantId === 'f1'), 10_000, 'f1 to start');
    const f2 = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-f2', taskQueue: TASK_QUEUE, args: [{ tenantId: 'f2', pools: [pool], workMs: 100 }],
    });
    await waitFor(async () => (await governorState(pool)).queue.length === 1, 10_000, 'f2 queued');
    await f2.cancel();
    await expect(f2.result()).rejects.toThrow();
    expect((await governorState(pool)).queue).toEqual([]);
    const f3 = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-f3', taskQueue: TASK_QUEUE, args: [{ tenantId: 'f3', pools: [pool], workMs: 100 }],
    });
    await waitFor(async () => (await governorState(pool)).queue.length === 1, 10_000, 'f3 queued');
    await f1.cancel();
    await expect(f1.result()).rejects.toThrow();
    await f3.result();
    const f1rec = records.find((r) => r.tenantId === 'f1')!;
    expect(f1rec.outcome).toBe('cancelled');
    // The permit passed on only after the cancelled heavy work had stopped.
    expect(records.find((r) => r.tenantId === 'f3')!.start).toBeGreaterThanOrEqual(f1rec.end!);
    expect(records.map((r) => r.tenantId)).toEqual(['f1', 'f3']);
    expect(await governorState(pool)).toMatchObject({ holders: [], queue: [], reclaimedTotal: 0, grantedTotal: 2 });
  });

  it('acquires several pools in sorted order and releases all of them', async () => {
    resetRecords();
    const run = (id: string, pools: string[]) => h.env.client.workflow.execute('standInTenant', {
      workflowId: `tenant-${id}`, taskQueue: TASK_QUEUE, args: [{ tenantId: id, pools, defaultLimit: 1, workMs: 200 }],
    });
    // Opposite orders: without sorted acquisition these two could deadlock.
    await Promise.all([run('g1', ['pool-x', 'pool-y']), run('g2', ['pool-y', 'pool-x']), run('g3', ['pool-x'])]);
    expect(maxOverlap(records.filter((r) => r.tenantId !== 'g3'))).toBe(1);
    expect(maxOverlap(records)).toBe(1);
    for (const pool of ['pool-x', 'pool-y']) {
      expect(await governorState(pool)).toMatchObject({ holders: [], queue: [], limit: 1 });
    }
  });

  it('a governor started by a tenant takes its limit from servers.<pool>.maxConcurrency in the worker config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmig-control-config-'));
    const previous = process.env.MIGRATOR_CONFIG;
    try {
      const path = join(dir, 'servers.yaml');
      writeFileSync(path, 'servers:\n  pg-cfg:\n    kind: postgres\n    url: postgres://migrator@127.0.0.1:5432/postgres\n    maxConcurrency: 3\n');
      process.env.MIGRATOR_CONFIG = path;
      resetConfigCache();
      await h.env.client.workflow.execute('standInTenant', {
        workflowId: 'tenant-cfg1', taskQueue: TASK_QUEUE, args: [{ tenantId: 'cfg1', pools: ['pg-cfg', 'not-a-server', 'restore-pg-cfg'], workMs: 10 }],
      });
      expect(await governorState('restore-pg-cfg')).toMatchObject({ limit: 2, holders: [], grantedTotal: 1 });
      expect(await governorState('pg-cfg')).toMatchObject({ limit: 3, holders: [], grantedTotal: 1 });
      expect(await governorState('not-a-server')).toMatchObject({ limit: 4, holders: [], grantedTotal: 1 });
    } finally {
      if (previous === undefined) delete process.env.MIGRATOR_CONFIG;
      else process.env.MIGRATOR_CONFIG = previous;
      resetConfigCache();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a grant the tenant never asked for (e.g. a duplicated acquire) is handed straight back', async () => {
    resetRecords();
    const pool = 'pg-target-h';
    await startGovernor({ pool, limit: 5 });
    const t = await h.env.client.workflow.start('standInTenant', {
      workflowId: 'tenant-h1', taskQueue: TASK_QUEUE, args: [{ tenantId: 'h1', pools: [pool], workMs: 2000 }],
    });
    await waitFor(async () => records.find((r) => r.tenantId === 'h1'), 10_000, 'h1 working');
    await h.env.client.workflow.getHandle(governorWorkflowId(pool))
      .signal(acquireSignal, { requestId: 'stray-1', workflowId: 'tenant-h1', tenantId: 'h1' });
    await waitFor(async () => {
      const s = await governorState(pool);
      return s.grantedTotal === 2 && !s.holders.some((x) => x.requestId === 'stray-1');
    }, 10_000, 'stray grant released by the tenant');
    expect((await governorState(pool)).holders).toHaveLength(1);
    await t.result();
    expect(await governorState(pool)).toMatchObject({ holders: [], queue: [], reclaimedTotal: 0 });
  });

  // Uses the histories the tests above left behind (run the whole file).
  it('governor and tenant histories from these runs replay deterministically', async () => {
    const histories = await Promise.all([
      h.env.client.workflow.getHandle(governorWorkflowId('pg-target-c')).fetchHistory(),
      h.env.client.workflow.getHandle(governorWorkflowId('pg-target-d')).fetchHistory(),
      h.env.client.workflow.getHandle(governorWorkflowId('pg-target-f')).fetchHistory(),
      h.env.client.workflow.getHandle('tenant-f1').fetchHistory(),
      h.env.client.workflow.getHandle('tenant-g2').fetchHistory(),
      h.env.client.workflow.getHandle(governorWorkflowId('pg-target-a')).fetchHistory(),
      h.env.client.workflow.getHandle(governorWorkflowId('pg-target-e')).fetchHistory(),
      h.env.client.workflow.getHandle('tenant-h1').fetchHistory(),
    ]);
    const names = ['governor-pg-target-c', 'governor-pg-target-d', 'governor-pg-target-f', 'tenant-f1', 'tenant-g2',
      'governor-pg-target-a', 'governor-pg-target-e', 'tenant-h1'];
    const failures: string[] = [];
    // The real workflow ids: withPermits' request ids contain them (the replayer's default is "fake").
    const replays = Worker.runReplayHistories({ workflowsPath: join(__dirname, 'workflows.ts') },
      histories.map((history, i) => ({ history, workflowId: names[i] })));
    let replayed = 0;
    for await (const r of replays) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${String(r.error.message).slice(0, 300)}`);
    }
    expect(replayed).toBe(names.length);
    for (const history of histories) expect(history.events?.length).toBeGreaterThanOrEqual(4);
    expect(failures).toEqual([]);
  });
});
