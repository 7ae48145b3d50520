/**
 * The operator CLI (in process, real Temporal dev server) and the stock `temporal` CLI binary
 * against the same workflows: status --json equals the queries, pause/resume/cancel, retry-failed,
 * throttle, schedules, exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { haveTemporal, sleep, startHarness, temporalBinary, waitFor, type Harness } from './harness';
import { records, resetRecords } from './activities';
import { TASK_QUEUE } from '../../src/contract/names';
import type { MigrationWaveInput, MigrationWaveResult, WaveProgress } from '../../src/contract/migration';
import type { GovernorState } from '../../src/contract/governorProtocol';
import { tmigInProcess } from '../helpers/tmigCli';

const run = promisify(execFile);

function wave(waveId: string, tenantIds: string[], workMs: number): MigrationWaveInput {
  return {
    waveId,
    tenants: tenantIds.map((tenantId) => ({
      tenantId, source: { server: 'src', database: `db_${tenantId}` }, target: { server: 'dst', database: `t_${tenantId}` },
    })),
    options: { chunkRows: workMs },
  };
}

describe.skipIf(!haveTemporal)('operator CLI (real Temporal)', () => {
  let h: Harness;
  let dir: string;
  let poolsConfig: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'tmig-control-'));
    // throttle set accepts only pools the worker config names.
    poolsConfig = join(dir, 'pools.yaml');
    writeFileSync(poolsConfig, ['p1', 'cli-pool'].map((p) => `  ${p}:\n    kind: postgres\n    url: postgres://x@127.0.0.1:1/postgres\n`).join('').replace(/^/, 'servers:\n'));
  });
  afterAll(async () => {
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `tmig ...` in this process; returns its exit code and what it printed. */
  /** Runs `tmig ...` in this process; returns its exit code and what it printed. */
  const tmig = (...args: string[]) => tmigInProcess(['--address', h.address, ...args]);

  const startWave = (input: MigrationWaveInput) => h.env.client.workflow.start('migrationWave', {
    workflowId: `wave-${input.waveId}`, taskQueue: TASK_QUEUE, args: [input],
  });

  it('pause stops new tenants, status --json equals the progress query, resume finishes; failed tenants exit 4', async () => {
    resetRecords();
    const handle = await startWave(wave('w1', ['w1-a', 'w1-b', 'fail-w1-c'], 700));
    await waitFor(async () => records.length >= 1, 10_000, 'first tenant to start');
    const paused = await tmig('pause', 'w1');
    expect(paused).toMatchObject({ code: 0 });
    expect(paused.stdout).toContain('paused migrationWave wave-w1');
    // The running tenant finishes; nothing new starts while paused.
    await waitFor(async () => records.every((r) => r.end !== undefined), 10_000, 'running tenant to finish');
    const startedWhilePaused = records.length;
    await sleep(1500);
    expect(records.length).toBe(startedWhilePaused);

    const status = await tmig('status', 'w1', '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    const query = await handle.query<WaveProgress>('progress');
    expect(report).toMatchObject({ workflowId: 'wave-w1', type: 'migrationWave', status: 'RUNNING', failed: false });
    expect(report.progress).toEqual(query);
    expect(report.progress.paused).toBe(true);

    const text = await tmig('status', 'w1');
    expect(text.stdout).toMatch(/wave w1 .*PAUSED/);
    expect(text.stdout).toMatch(/w1-a .*done/);

    expect((await tmig('resume', 'wave-w1')).code).toBe(0);
    const result = await handle.result() as MigrationWaveResult;
    expect(result.succeeded.map((s) => s.tenantId)).toEqual(['w1-a', 'w1-b']);
    const done = await tmig('status', 'w1', '--json');
    expect(done.code).toBe(4);
    const doneReport = JSON.parse(done.stdout);
    expect(doneReport.status).toBe('COMPLETED');
    expect(doneReport.progress.failed.map((f: { tenantId: string }) => f.tenantId)).toEqual(['fail-w1-c']);
  });

  it('retry-failed starts <waveId>-retry-1 with only the failed tenants, same specs', async () => {
    const input = wave('w2', ['w2-a', 'fail-w2-b', 'fail-w2-c'], 50);
    await (await startWave(input)).result();
    const r = await tmig('retry-failed', 'w2', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ waveId: 'w2', retryWaveId: 'w2-retry-1', workflowId: 'wave-w2-retry-1', tenants: ['fail-w2-b', 'fail-w2-c'] });
    const retry = h.env.client.workflow.getHandle('wave-w2-retry-1');
    const history = await retry.fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    expect(started.workflowType?.name).toBe('migrationWave');
    const { defaultPayloadConverter } = await import('@temporalio/common');
    const retryInput = defaultPayloadConverter.fromPayload<MigrationWaveInput>(started.input!.payloads![0]);
    expect(retryInput).toEqual({ ...input, waveId: 'w2-retry-1', tenants: input.tenants.slice(1) });
    await retry.result();
    // Numbering continues; a wave with no failures has nothing to retry.
    expect(JSON.parse((await tmig('retry-failed', 'w2', '--dry-run')).stdout).waveId).toBe('w2-retry-2');
    const clean = wave('w3', ['w3-a'], 10);
    await (await startWave(clean)).result();
    const none = await tmig('retry-failed', 'w3');
    expect(none).toMatchObject({ code: 0 });
    expect(none.stdout).toContain('no failed tenants');
  });

  it('cancel --wait stops a wave mid-tenant and status then reports it failed (exit 4)', async () => {
    resetRecords();
    await startWave(wave('w4', ['w4-a', 'w4-b'], 30_000));
    await waitFor(async () => records.length >= 1, 10_000, 'w4-a to start');
    const c = await tmig('cancel', 'w4', '--wait', '--timeout', '30');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('wave-w4: cancelled');
    await waitFor(async () => records[0].end !== undefined, 10_000, 'running activity to stop');
    expect(records[0].outcome).toBe('cancelled');
    expect(records.map((r) => r.tenantId)).toEqual(['w4-a']);
    const s = await tmig('status', 'w4', '--json');
    expect(s.code).toBe(4);
    expect(JSON.parse(s.stdout).status).toBe('CANCELLED');
    expect((await tmig('cancel', 'w4')).code).toBe(1);
  });

  it('status --watch --json prints one JSON line per refresh until the wave closes', async () => {
    await startWave(wave('w5', ['w5-a', 'w5-b'], 800));
    const watched = await tmig('status', 'w5', '--watch', '--json', '--interval', '1');
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0].status).toBe('RUNNING');
    expect(lines.at(-1)).toMatchObject({ status: 'COMPLETED', failed: false, progress: { succeeded: 2, total: 2 } });
  });

  it('status of a wave adds each running tenant\'s progress query, and shows permit waits', async () => {
    resetRecords();
    const pool = 'cli-status-pool';
    const handle = await h.env.client.workflow.start('standInWave', {
      workflowId: 'wave-w6', taskQueue: TASK_QUEUE,
      args: [{ waveId: 'w6', tenants: ['w6-a', 'w6-b'].map((tenantId) => ({ tenantId, pools: [pool], defaultLimit: 1, workMs: 3000 })) }],
    });
    await waitFor(async () => records.length === 1, 10_000, 'one tenant holding the permit');
    await sleep(300);
    const s = await tmig('status', 'w6', '--json');
    expect(s.code).toBe(0);
    const report = JSON.parse(s.stdout);
    expect(report.progress.running.sort()).toEqual(['tenant-w6-a', 'tenant-w6-b']);
    const holder = records[0].tenantId;
    const waiter = holder === 'w6-a' ? 'w6-b' : 'w6-a';
    expect(report.tenants[holder]).toMatchObject({ tenantId: holder, phase: 'copy' });
    expect(report.tenants[waiter]).toMatchObject({ tenantId: waiter, phase: 'waiting-permit' });
    const direct = await h.env.client.workflow.getHandle(`tenant-${waiter}`).query('progress');
    expect(report.tenants[waiter]).toEqual(direct);
    const text = await tmig('status', 'w6');
    expect(text.stdout).toMatch(new RegExp(`${waiter} .*waiting-permit`));
    await handle.result();
    const tenant = await tmig('status', `tenant-${waiter}`, '--json');
    expect(tenant.code).toBe(0);
    expect(JSON.parse(tenant.stdout).progress.permitsWaitedMs).toBeGreaterThan(1000);
  });

  it('not found is exit 3, usage errors exit 2', async () => {
    expect((await tmig('status', 'no-such-wave')).code).toBe(3);
    expect((await tmig('pause', 'no-such-wave')).code).toBe(3);
    expect((await tmig('throttle', 'get', 'no-such-pool')).code).toBe(3);
    expect((await tmig('schedule', 'delete', 'no-such-schedule')).code).toBe(3);
    expect((await tmig('throttle', 'set', 'p1', 'many', '--config', poolsConfig)).code).toBe(2);
    // A governor is not a wave: never paused by name.
    expect((await tmig('throttle', 'set', 'p1', '2', '--config', poolsConfig)).code).toBe(0);
    expect((await tmig('pause', 'governor-p1')).code).toBe(3);
    expect((await tmig('status')).code).toBe(2);
    expect((await tmig('schedule', 'create', 'x', '--manifest', join(dir, 'missing.json'))).code).toBe(2);
  });

  it('throttle set starts or updates a governor; throttle get/list read it', async () => {
    expect((await tmig('throttle', 'set', 'cli-pool', '5', '--config', poolsConfig)).code).toBe(0);
    const got = await tmig('throttle', 'get', 'cli-pool', '--json');
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ pool: 'cli-pool', limit: 5, holders: [], queue: [] });
    expect((await tmig('throttle', 'set', 'cli-pool', '7', '--config', poolsConfig)).code).toBe(0);
    await waitFor(async () => JSON.parse((await tmig('throttle', 'get', 'cli-pool', '--json')).stdout).limit === 7, 5_000, 'limit 7');
    const listed = await waitFor(async () => {
      const l = JSON.parse((await tmig('throttle', 'list', '--json')).stdout) as GovernorState[];
      return l.find((s) => s.pool === 'cli-pool');
    }, 15_000, 'cli-pool in throttle list (visibility)');
    expect(listed.limit).toBe(7);
  });

  it('schedule create/list/trigger/pause/delete; a second trigger while the wave runs is skipped', async () => {
    const manifest = join(dir, 'nightly.json');
    writeFileSync(manifest, JSON.stringify(wave('nightly-s1', ['s1-a', 's1-b'], 2000)));
    const created = await tmig('schedule', 'create', 'sched-s1', '--manifest', manifest, '--cron', '0 2 * * *', '--catchup-window', '1h');
    expect(created).toMatchObject({ code: 0 });
    expect((await tmig('schedule', 'create', 'sched-s1', '--manifest', manifest)).code).toBe(1);
    const list = JSON.parse((await tmig('schedule', 'list', '--json')).stdout);
    expect(list).toEqual([expect.objectContaining({ scheduleId: 'sched-s1', waveId: 'nightly-s1', workflowType: 'migrationWave', paused: false, cron: ['0 2 * * *'] })]);
    const schedule = await h.env.client.schedule.getHandle('sched-s1').describe();
    expect(schedule.policies.overlap).toBe('SKIP');
    expect(schedule.policies.catchupWindow).toBe(3_600_000);

    expect((await tmig('schedule', 'trigger', 'sched-s1')).code).toBe(0);
    const running = await waitFor(async () => {
      const d = await h.env.client.schedule.getHandle('sched-s1').describe();
      return d.info.runningActions[0]?.workflow.workflowId;
    }, 10_000, 'scheduled wave to start');
    expect(running).toMatch(/^wave-nightly-s1-/);
    expect((await tmig('schedule', 'trigger', 'sched-s1')).code).toBe(0);
    const after = await waitFor(async () => {
      const d = await h.env.client.schedule.getHandle('sched-s1').describe();
      return d.info.numActionsSkippedOverlap >= 1 ? d : undefined;
    }, 10_000, 'second trigger to be skipped');
    expect(after.info.runningActions).toHaveLength(1);
    // Scheduled runs carry a time suffix: the operator still finds the run by its wave id (WaveId attribute).
    const found = await waitFor(async () => {
      const s = await tmig('status', 'nightly-s1', '--json');
      return s.code === 0 ? JSON.parse(s.stdout) : undefined;
    }, 10_000, 'status by wave id of the scheduled run');
    expect(found).toMatchObject({ workflowId: running, progress: { waveId: 'nightly-s1' } });
    await h.env.client.workflow.getHandle(running).result();

    expect((await tmig('schedule', 'pause', 'sched-s1', '--note', 'freeze')).code).toBe(0);
    const paused = JSON.parse((await tmig('schedule', 'describe', 'sched-s1', '--json')).stdout);
    expect(paused).toMatchObject({ paused: true, note: 'freeze' });
    expect((await tmig('schedule', 'unpause', 'sched-s1')).code).toBe(0);
    expect((await tmig('schedule', 'delete', 'sched-s1')).code).toBe(0);
    expect((await tmig('schedule', 'describe', 'sched-s1')).code).toBe(3);
  });

  it('the stock temporal CLI starts, signals and queries the governor and the wave', async () => {
    const base = ['--address', h.address, '--namespace', 'default'];
    await run(temporalBinary, ['workflow', 'start', ...base, '--type', 'concurrencyGovernor', '--task-queue', TASK_QUEUE,
      '--workflow-id', 'governor-stock', '--input', JSON.stringify({ pool: 'stock', limit: 3 })]);
    // Malformed signals are ignored, never wedge the governor.
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'governor-stock', '--name', 'release']);
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'governor-stock', '--name', 'setLimit', '--input', '"lots"']);
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'governor-stock', '--name', 'acquire', '--input', '{}']);
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'governor-stock', '--name', 'setLimit',
      '--input', JSON.stringify({ limit: 6 })]);
    const q = await run(temporalBinary, ['workflow', 'query', ...base, '--workflow-id', 'governor-stock', '--name', 'state', '-o', 'json']);
    const state = JSON.parse(q.stdout).queryResult[0] as GovernorState;
    expect(state).toMatchObject({ pool: 'stock', limit: 6 });
    // The temporal CLI prints empty arrays as null.
    expect(state.holders ?? []).toEqual([]);
    expect(state.queue ?? []).toEqual([]);

    resetRecords();
    const file = join(dir, 'wave.json');
    writeFileSync(file, JSON.stringify(wave('stock-w', ['st-a', 'st-b'], 600)));
    await run(temporalBinary, ['workflow', 'start', ...base, '--type', 'migrationWave', '--task-queue', TASK_QUEUE,
      '--workflow-id', 'wave-stock-w', '--input-file', file]);
    await waitFor(async () => records.length >= 1, 10_000, 'stock wave to start');
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'wave-stock-w', '--name', 'pause']);
    const p = await run(temporalBinary, ['workflow', 'query', ...base, '--workflow-id', 'wave-stock-w', '--name', 'progress', '-o', 'json']);
    expect(JSON.parse(p.stdout).queryResult[0]).toMatchObject({ waveId: 'stock-w', paused: true, total: 2 });
    await run(temporalBinary, ['workflow', 'signal', ...base, '--workflow-id', 'wave-stock-w', '--name', 'resume']);
    const result = await h.env.client.workflow.getHandle('wave-stock-w').result() as MigrationWaveResult;
    expect(result.succeeded).toHaveLength(2);
  });
});
