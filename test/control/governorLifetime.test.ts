/**
 * Governors leave nothing running: an idle governor ends after its grace, a new acquirer restarts it
 * atomically (signal-with-start) without losing a grant even when it arrives as the old run ends, an
 * operator's limit pins a governor until `retire`, and after a wave every workflow is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTemporal, sleep, startHarness, waitFor, type Harness } from './harness';
import { records, resetRecords } from './activities';
import { governorWorkflowId, retireSignal, setLimitSignal, stateQuery } from '../../src/contract/governorProtocol';
import { TASK_QUEUE } from '../../src/contract/names';
import { resetConfigCache } from '../../src/config/loadConfig';

describe.skipIf(!haveTemporal)('governor lifetime (real Temporal)', () => {
  let h: Harness;
  let dir: string;
  const previous = process.env.MIGRATOR_CONFIG;
  beforeAll(async () => {
    // The in-process worker's activities start governors with this config's 1 s idle grace.
    dir = mkdtempSync(join(tmpdir(), 'tmig-gov-life-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, 'servers:\n  pg-life:\n    kind: postgres\n    url: postgres://x@127.0.0.1:1/postgres\n    maxConcurrency: 2\ngovernorIdleGraceSeconds: 1\n');
    process.env.MIGRATOR_CONFIG = path;
    resetConfigCache();
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
    if (previous === undefined) delete process.env.MIGRATOR_CONFIG;
    else process.env.MIGRATOR_CONFIG = previous;
    resetConfigCache();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const describeGov = (pool: string) => h.env.client.workflow.getHandle(governorWorkflowId(pool)).describe();
  const tenant = (id: string, pools: string[], workMs: number) => h.env.client.workflow.execute('standInTenant', {
    workflowId: `tenant-${id}`, taskQueue: TASK_QUEUE, args: [{ tenantId: id, pools, workMs }],
  });

  it('an idle governor completes after its grace; the next acquirer starts a new run that grants at once', async () => {
    resetRecords();
    await tenant('life1', ['pg-life'], 100);
    const first = await waitFor(async () => {
      const d = await describeGov('pg-life');
      return d.status.name === 'COMPLETED' ? d : undefined;
    }, 10_000, 'the idle governor to complete');
    // Its final state (queried from the closed run) lost nothing.
    expect(await h.env.client.workflow.getHandle(governorWorkflowId('pg-life'), first.runId).query(stateQuery))
      .toMatchObject({ limit: 2, holders: [], queue: [], grantedTotal: 1 });
    await tenant('life2', ['pg-life'], 100);
    const second = await describeGov('pg-life');
    expect(second.runId).not.toBe(first.runId);
    expect(records.map((r) => r.outcome)).toEqual(['done', 'done']);
    // The governor carries the role search attribute, so the UI's saved view can hide it.
    expect(second.searchAttributes.TmigRole).toEqual(['governor']);
  });

  it('acquirers that arrive just as the governor ends are never lost (signal-with-start race)', async () => {
    resetRecords();
    const pool = 'race-pool';
    const runIds = new Set<string>();
    // Each round starts when the previous governor run is about to time out its 1 s grace.
    for (let round = 0; round < 8; round++) {
      await tenant(`race${round}`, [pool], 10);
      runIds.add((await describeGov(pool)).runId);
      await sleep(850 + (round % 4) * 60);
    }
    expect(records.filter((r) => r.outcome === 'done')).toHaveLength(8);
    // Some rounds found the old run gone and started a new one.
    expect(runIds.size).toBeGreaterThan(1);
  }, 60_000);

  it('a limit set by an operator pins the governor past its grace; retire lets it end', async () => {
    const pool = 'pinned-pool';
    await h.env.client.workflow.signalWithStart('concurrencyGovernor', {
      workflowId: governorWorkflowId(pool), taskQueue: TASK_QUEUE, args: [{ pool, limit: 3, pinned: true, idleGraceSeconds: 1 }],
      signal: setLimitSignal, signalArgs: [{ limit: 3 }],
    });
    await sleep(2500);
    const d = await describeGov(pool);
    expect(d.status.name).toBe('RUNNING');
    expect(await h.env.client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery)).toMatchObject({ pinned: true, limit: 3 });
    // Idle and pinned: no timer runs (the history stops growing).
    const before = (await h.env.client.workflow.getHandle(governorWorkflowId(pool)).fetchHistory()).events!.length;
    await sleep(1500);
    expect((await h.env.client.workflow.getHandle(governorWorkflowId(pool)).fetchHistory()).events!.length).toBe(before);
    await h.env.client.workflow.getHandle(governorWorkflowId(pool)).signal(retireSignal);
    await waitFor(async () => (await describeGov(pool)).status.name === 'COMPLETED', 10_000, 'the retired governor to end');
  });

  it('after a wave of 12 tenants, each with its own target lock, the visibility API counts 0 running workflows', async () => {
    resetRecords();
    const tenants = Array.from({ length: 12 }, (_, i) => ({
      tenantId: `vis${i}`, pools: [`target.pg-life.db${i}`, 'pg-life'], defaultLimit: undefined, workMs: 150,
    }));
    await h.env.client.workflow.execute('standInWave', { workflowId: 'wave-vis', taskQueue: TASK_QUEUE, args: [{ waveId: 'vis', tenants }] });
    expect(records.filter((r) => r.outcome === 'done')).toHaveLength(12);
    const running = await waitFor(async () => {
      const n = (await h.env.client.workflow.count('ExecutionStatus = "Running"')).count;
      return n === 0 ? { n } : undefined;
    }, 20_000, 'no running workflow left (13 governors end after their 1 s grace)');
    expect(running.n).toBe(0);
    const governors = await h.env.client.workflow.count('WorkflowType = "concurrencyGovernor"');
    expect(governors.count).toBeGreaterThanOrEqual(13);
  }, 60_000);
});
