/**
 * Operator control over the real workflows: a real worker process, real PostgreSQL, the real
 * tenantMigration/migrationWave with throttling on. The governor holds tenants back, pause keeps
 * them from copying even with a permit, the CLI's status --json equals the workflow queries,
 * and after resume every tenant ends equal to its source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { haveTemporal, sleep, waitFor } from './harness';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import { governorWorkflowId, stateQuery, type GovernorState } from '../../src/contract/governorProtocol';
import type { MigrationWaveInput, MigrationWaveResult, TenantProgress, WaveProgress } from '../../src/contract/migration';
import { tmigInProcess } from '../helpers/tmigCli';

const ids = ['c1', 'c2', 'c3'];
const dbs = [...ids, 'big', 'pw'].flatMap((id) => [`tmig_control_src_${id}`, `tmig_control_dst_${id}`]);

describe.skipIf(!haveTemporal)('operator control of a real wave (real Temporal, worker, PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await Promise.all(ids.map((id) => createSampleTenant(PG_ADMIN_URL, `tmig_control_src_${id}`, 400)));
    await createSampleTenant(PG_ADMIN_URL, 'tmig_control_src_big', 30_000);
    await createSampleTenant(PG_ADMIN_URL, 'tmig_control_src_pw', 150_000); // a copy that outlasts the pause on a fast machine too (30,000 finished first in CI)
    env = await startTemporal();
    configPath = writeTestConfig();
    worker = await startWorker(env.address, configPath);
    dir = mkdtempSync(join(tmpdir(), 'tmig-control-wave-'));
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await dropDatabases(...dbs);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // throttle set checks pool names against the same worker config.
  const tmig = (...args: string[]) => tmigInProcess(['--address', env.address, ...(args[0] === 'throttle' && args[1] === 'set' ? [...args, '--config', configPath] : args)]);

  /** A wave `control-<id>` of the one tenant `control-<id>`, 100-row chunks (a copy long enough to act on mid-way). */
  const oneTenantManifest = (id: string): string => {
    const manifest = join(dir, `${id}.json`);
    writeFileSync(manifest, JSON.stringify({
      waveId: `control-${id}`,
      tenants: [{ tenantId: `control-${id}`, source: { server: 'local', database: `tmig_control_src_${id}` }, target: { server: 'target', database: `tmig_control_dst_${id}` } }],
      options: { throttle: true, chunkRows: 100 },
    } satisfies MigrationWaveInput));
    return manifest;
  };

  const governor = (pool: string) => env.client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery);

  it('throttle holds tenants, pause keeps a permitted tenant from copying, resume finishes equal; status --json = queries', async () => {
    // The target pool starts closed: every tenant must queue at its governor. (Pools are taken in
    // sorted order, `local` before `target`: open `local` wide so all three reach `target`.)
    expect((await tmig('throttle', 'set', 'local', '5')).code).toBe(0);
    expect((await tmig('throttle', 'set', 'target', '0')).code).toBe(0);
    const manifest = join(dir, 'wave.json');
    const input: MigrationWaveInput = {
      waveId: 'control-wave',
      tenants: ids.map((id) => ({
        tenantId: `control-${id}`,
        source: { server: 'local', database: `tmig_control_src_${id}` },
        target: { server: 'target', database: `tmig_control_dst_${id}` },
      })),
      options: { maxConcurrentTenants: 3, throttle: true, chunkRows: 150 },
    };
    writeFileSync(manifest, JSON.stringify(input));
    expect((await tmig('start', manifest)).code).toBe(0);

    await waitFor(async () => (await governor('target').catch(() => undefined))?.queue.length === 3, 60_000, '3 tenants queued on pool target');
    const waiting = JSON.parse((await tmig('status', 'control-wave', '--json')).stdout);
    expect(Object.keys(waiting.tenants).sort()).toEqual(ids.map((id) => `control-${id}`));
    for (const p of Object.values(waiting.tenants) as TenantProgress[]) expect(p.phase).toBe('waiting-permit');

    // --wait returns once the wave has forwarded the pause and every running tenant reports it.
    const pausing = await tmig('pause', 'control-wave', '--wait', '--timeout', '30');
    expect(pausing.code).toBe(0);
    expect(pausing.stdout).toMatch(/wave-control-wave: paused, 3 running tenant\(s\) stopped copying/);
    expect((await env.client.workflow.getHandle('wave-control-wave').query<WaveProgress>('progress')).paused).toBe(true);
    for (const id of ids) {
      const p = await env.client.workflow.getHandle(`tenant-control-${id}@control-wave`).query<TenantProgress>('progress');
      expect(p.paused).toBe(true);
    }
    // Open the pool while paused: one tenant gets the permit but must not copy.
    expect((await tmig('throttle', 'set', 'target', '1')).code).toBe(0);
    await waitFor(async () => (await governor('target')).holders.length === 1, 20_000, 'one permit granted');
    await sleep(2000);
    const paused = await tmig('status', 'control-wave', '--json');
    expect(paused.code).toBe(0);
    const report = JSON.parse(paused.stdout);
    const waveQuery = await env.client.workflow.getHandle('wave-control-wave').query<WaveProgress>('progress');
    expect(report.progress).toEqual(waveQuery);
    for (const [tenantId, p] of Object.entries(report.tenants) as [string, TenantProgress][]) {
      expect(p.rowsCopied).toBe(0);
      expect(p.paused).toBe(true);
      const direct = await env.client.workflow.getHandle(`tenant-${tenantId}@control-wave`).query<TenantProgress>('progress');
      expect({ ...p, permitsWaitedMs: 0, rowsPerSecond: 0, etaSeconds: null })
        .toEqual({ ...direct, permitsWaitedMs: 0, rowsPerSecond: 0, etaSeconds: null });
    }

    // Resume: tenants pass the pool one at a time, and all finish equal to their source.
    expect((await tmig('resume', 'control-wave')).code).toBe(0);
    const result = env.client.workflow.getHandle('wave-control-wave').result() as Promise<MigrationWaveResult>;
    let settled = false;
    void result.finally(() => { settled = true; });
    let maxHolders = 0;
    while (!settled) {
      const s: GovernorState | undefined = await governor('target').catch(() => undefined);
      if (s) maxHolders = Math.max(maxHolders, s.holders.length);
      await sleep(100);
    }
    const r = await result;
    expect(r.failed.map((f) => `${f.tenantId}: ${f.error}`)).toEqual([]);
    expect(r.succeeded).toHaveLength(3);
    expect(maxHolders).toBe(1);
    for (const id of ids) {
      expect(await tableDigests(`tmig_control_dst_${id}`)).toEqual(await tableDigests(`tmig_control_src_${id}`));
    }
    const done = await tmig('status', 'control-wave', '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'COMPLETED', failed: false, progress: { succeeded: 3, failed: [] } });
    const waits: number[] = [];
    for (const id of ids) {
      const tenant = JSON.parse((await tmig('status', `control-${id}`, '--json')).stdout);
      expect(tenant.progress).toMatchObject({ phase: 'done', tenantId: `control-${id}` });
      waits.push(tenant.progress.permitsWaitedMs);
    }
    // All queued on the closed pool; the last one also waited for the other two to migrate.
    expect(Math.min(...waits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeGreaterThan(1000);
    expect(await governor('target')).toMatchObject({ holders: [], queue: [], limit: 1 });
  });

  it('cancel mid-copy: the permit is released at once, the tenant is cancelled, status exits 4', async () => {
    expect((await tmig('throttle', 'set', 'target', '1')).code).toBe(0);
    expect((await tmig('start', oneTenantManifest('big'))).code).toBe(0);
    await waitFor(async () => {
      const p = await env.client.workflow.getHandle('tenant-control-big@control-big').query<TenantProgress>('progress').catch(() => undefined);
      return p && p.phase === 'copy' && p.rowsCopied > 0;
    }, 60_000, 'tenant control-big copying');
    expect((await governor('target')).holders.map((h) => h.tenantId)).toEqual(['control-big']);
    const cancelled = await tmig('cancel', 'control-big', '--wait', '--timeout', '60');
    expect(cancelled.code).toBe(0);
    // The wave ends either cancelled or completed with its tenant cancelled (the wave's own choice).
    expect(cancelled.stdout).toMatch(/wave-control-big: (cancelled|completed, 1 tenant\(s\) failed or cancelled)/);
    // Released by the tenant itself (the periodic reclaim is 30 s away).
    await waitFor(async () => (await governor('target')).holders.length === 0, 10_000, 'permit released');
    expect((await governor('target')).reclaimedTotal).toBe(0);
    const tenant = await tmig('status', 'tenant-control-big@control-big', '--json');
    expect(tenant.code).toBe(4);
    expect(JSON.parse(tenant.stdout)).toMatchObject({ status: 'CANCELLED', failed: true, progress: { phase: 'cancelled' } });
    expect((await tmig('status', 'control-big', '--json')).code).toBe(4);
  });

  it('pause --wait of a copying tenant returns once its copy has stopped; resume finishes equal', async () => {
    expect((await tmig('throttle', 'set', 'target', '2')).code).toBe(0);
    const rowsDone = () => withDb('tmig_control_dst_pw', (c) => c.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`))
      .then((r) => r.rows[0].n as number, () => 0);
    expect((await tmig('start', oneTenantManifest('pw'))).code).toBe(0);
    await waitFor(async () => (await rowsDone()) > 0, 60_000, 'tenant control-pw copying');
    const paused = await tmig('pause', 'control-pw', '--wait', '--timeout', '60');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/wave-control-pw: paused, 1 running tenant\(s\) stopped copying/);
    // Nothing commits after --wait returned.
    const atPause = await rowsDone();
    await sleep(1500);
    expect(await rowsDone()).toBe(atPause);
    const progress = await env.client.workflow.getHandle('tenant-control-pw@control-pw').query<TenantProgress>('progress');
    expect(progress).toMatchObject({ paused: true, activeCopies: 0 });
    expect(progress.rowsCopied).toBeLessThan(progress.rowsTotal);
    expect((await tmig('resume', 'control-pw')).code).toBe(0);
    const r = await env.client.workflow.getHandle('wave-control-pw').result() as MigrationWaveResult;
    expect(r.failed).toEqual([]);
    expect(await tableDigests('tmig_control_dst_pw')).toEqual(await tableDigests('tmig_control_src_pw'));
    // A closed wave: nothing to pause.
    expect((await tmig('pause', 'control-pw', '--wait')).code).toBe(1);
  });
});
