import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { MigrationWaveResult, TenantProgress, WaveProgress } from '../../src/contract/migration';
import { waitFor as waitUntil } from '../helpers/waitFor';

const ROWS = 150_000;
const names = ['c1', 'c2', 'c3'];
const dbs = names.flatMap((n) => [`tmig_ctl_src_${n}`, `tmig_ctl_dst_${n}`]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rowsDone = (db: string) => withDb(db, (c) => c.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`))
  .then((r) => r.rows[0].n as number).catch(() => 0);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000) => waitUntil(what, probe, { timeoutMs: ms, everyMs: 100 });

describe('operator control on real waves: pause, resume, cancel', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  beforeAll(async () => {
    await dropDatabases(...dbs);
    for (const n of names) {
      await withDb('postgres', (db) => db.query(`CREATE DATABASE tmig_ctl_src_${n}`));
      await withDb(`tmig_ctl_src_${n}`, (db) => db.query(`CREATE TABLE t (id int PRIMARY KEY, v text);
        INSERT INTO t SELECT g, repeat('v', 50) || g FROM generate_series(1, ${ROWS}) g; ANALYZE t;`));
    }
    stack = await startStack();
    ({ env } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...dbs);
  });

  it('pause stops new work mid-copy (wave and tenant), resume finishes equal to the source', async () => {
    const handle = await env.client.workflow.start('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-ctl',
      args: [{
        waveId: 'ctl', options: { maxConcurrentTenants: 1, chunkRows: 50 },
        tenants: ['c1', 'c2'].map((n) => ({ tenantId: `ctl-${n}`, source: { server: 'local', database: `tmig_ctl_src_${n}` }, target: { server: 'target', database: `tmig_ctl_dst_${n}` } })),
      }],
    });
    await waitFor('first tenant copying', async () => (await rowsDone('tmig_ctl_dst_c1')) > 0);
    await handle.signal('pause');
    const wave = await waitFor('wave paused', async () => {
      const p = await handle.query<WaveProgress>('progress');
      return p.paused ? p : undefined;
    });
    expect(wave.pending).toBe(1);
    const tenant = env.client.workflow.getHandle('tenant-ctl-c1@ctl');
    // The running chunk commits, then the copy activity stops between chunks.
    await waitFor('copies stopped', async () => {
      const p = await tenant.query<TenantProgress>('progress');
      return p.paused && p.activeCopies === 0;
    }, 30_000);
    const atPause = await rowsDone('tmig_ctl_dst_c1');
    await sleep(3000);
    expect(await rowsDone('tmig_ctl_dst_c1')).toBe(atPause);
    expect(atPause).toBeLessThan(ROWS);
    // Nothing new started: the second tenant has no target yet.
    const exists = await withDb('postgres', (db) => db.query(`SELECT 1 FROM pg_database WHERE datname = 'tmig_ctl_dst_c2'`));
    expect(exists.rowCount).toBe(0);

    await handle.signal('resume');
    const result = await handle.result() as MigrationWaveResult;
    expect(result.failed).toEqual([]);
    expect(result.succeeded.map((s) => s.tenantId).sort()).toEqual(['ctl-c1', 'ctl-c2']);
    for (const n of ['c1', 'c2']) expect(await tableDigests(`tmig_ctl_dst_${n}`)).toEqual(await tableDigests(`tmig_ctl_src_${n}`));
  });

  it('pause followed at once by resume (tenant, and through a wave) does not fail the tenant', async () => {
    await dropDatabases('tmig_ctl_dst_c1', 'tmig_ctl_dst_c2');
    const tenant = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-ctl-quick',
      args: [{ tenantId: 'ctl-quick', source: { server: 'local', database: 'tmig_ctl_src_c1' }, target: { server: 'target', database: 'tmig_ctl_dst_c1' }, options: { chunkRows: 500 } }] });
    await waitFor('copying', async () => (await rowsDone('tmig_ctl_dst_c1')) > 0);
    // Resume sent at once: it lands before the cancelled copy slice has stopped.
    for (let i = 0; i < 3; i++) {
      await tenant.signal('pause');
      await tenant.signal('resume');
      await sleep(300);
    }
    expect((await tenant.result() as { ok: boolean }).ok).toBe(true);
    expect(await tableDigests('tmig_ctl_dst_c1')).toEqual(await tableDigests('tmig_ctl_src_c1'));

    const wave = await env.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-ctl-quick',
      args: [{ waveId: 'ctl-quick', options: { maxConcurrentTenants: 1, chunkRows: 500 },
        tenants: [{ tenantId: 'ctlq-c2', source: { server: 'local', database: 'tmig_ctl_src_c2' }, target: { server: 'target', database: 'tmig_ctl_dst_c2' } }] }] });
    await waitFor('wave tenant copying', async () => (await rowsDone('tmig_ctl_dst_c2')) > 0);
    for (let i = 0; i < 3; i++) {
      await wave.signal('pause');
      await wave.signal('resume');
      await sleep(300);
    }
    const result = await wave.result() as MigrationWaveResult;
    expect(result.failed).toEqual([]);
    expect(await tableDigests('tmig_ctl_dst_c2')).toEqual(await tableDigests('tmig_ctl_src_c2'));
  });

  it('cancel stops a tenant promptly and leaves its target clearly marked incomplete; a new run resumes it', async () => {
    const args = [{ tenantId: 'ctl-c3', source: { server: 'local', database: 'tmig_ctl_src_c3' }, target: { server: 'target', database: 'tmig_ctl_dst_c3' }, options: { chunkRows: 50 } }];
    const handle = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-ctl-c3', args });
    await waitFor('copying', async () => (await rowsDone('tmig_ctl_dst_c3')) > 0);
    const cancelledAt = Date.now();
    await handle.cancel();
    const err = await handle.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(Date.now() - cancelledAt).toBeLessThan(20_000);
    const state = await withDb('tmig_ctl_dst_c3', async (db) => ({
      run: (await db.query(`SELECT status, last_error FROM _tmig.run`)).rows[0],
      comment: (await db.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`)).rows[0].c,
      chunks: (await db.query(`SELECT count(*)::int AS n FROM _tmig.chunk`)).rows[0].n as number,
    }));
    expect(state.run).toEqual({ status: 'failed', last_error: 'cancelled by operator' });
    expect(state.comment).toMatch(/^tmig: FAILED .*incomplete, do not use/);
    expect(state.chunks).toBeGreaterThan(0);

    const again = await env.client.workflow.execute('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-ctl-c3', args });
    expect((again as { ok: boolean }).ok).toBe(true);
    expect(await tableDigests('tmig_ctl_dst_c3')).toEqual(await tableDigests('tmig_ctl_src_c3'));
    const resumed = await withDb('tmig_ctl_dst_c3', (db) => db.query(`SELECT min(chunk_no)::int AS first FROM _tmig.chunk WHERE committed_at > (SELECT max(committed_at) FROM _tmig.chunk WHERE chunk_no <= ${state.chunks})`));
    expect(resumed.rows[0].first).toBe(state.chunks + 1);
  });

  it('a cancelled wave ends CANCELLED, cancels its running tenant and starts no other', async () => {
    await dropDatabases('tmig_ctl_dst_c1', 'tmig_ctl_dst_c2');
    const handle = await env.client.workflow.start('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-ctl-cancel',
      args: [{
        waveId: 'ctl-cancel', options: { maxConcurrentTenants: 1, chunkRows: 50 },
        tenants: ['c1', 'c2'].map((n) => ({ tenantId: `ctlx-${n}`, source: { server: 'local', database: `tmig_ctl_src_${n}` }, target: { server: 'target', database: `tmig_ctl_dst_${n}` } })),
      }],
    });
    await waitFor('first tenant copying', async () => (await rowsDone('tmig_ctl_dst_c1')) > 0);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect((await env.client.workflow.getHandle('tenant-ctlx-c1@ctl-cancel').describe()).status.name).toBe('CANCELLED');
    const run = await withDb('tmig_ctl_dst_c1', (db) => db.query(`SELECT status FROM _tmig.run`));
    expect(run.rows[0].status).toBe('failed');
    const second = await withDb('postgres', (db) => db.query(`SELECT 1 FROM pg_database WHERE datname = 'tmig_ctl_dst_c2'`));
    expect(second.rowCount).toBe(0);
  });
});
