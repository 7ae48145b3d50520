import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { PG_ADMIN_URL, dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import {
  migrationWaveResultSchema, tenantMigrationResultSchema, type MigrationWaveInput, type MigrationWaveResult, type TenantMigrationResult,
} from '../../src/contract/migration';

const tenants = [
  { id: 'w1', rows: 300 },
  { id: 'w2', rows: 1500 },
  { id: 'w3', rows: 4000 },
];
const dbs = tenants.flatMap((t) => [`tmig_t_src_${t.id}`, `tmig_t_dst_${t.id}`]).concat(['tmig_t_dst_missing', 'tmig_t_dst_unreach']);

describe('migration wave, PostgreSQL to PostgreSQL, real Temporal and worker', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await Promise.all(tenants.map((t) => createSampleTenant(PG_ADMIN_URL, `tmig_t_src_${t.id}`, t.rows)));
    stack = await startStack();
    ({ env } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...dbs);
  });

  it('migrates every tenant equal to its source while bad tenants fail with typed errors', async () => {
    const input: MigrationWaveInput = {
      waveId: 'core-wave',
      tenants: [
        ...tenants.map((t) => ({
          tenantId: `core-${t.id}`,
          source: { server: 'local', database: `tmig_t_src_${t.id}` },
          target: { server: 'target', database: `tmig_t_dst_${t.id}` },
          // One tenant is split into key ranges copied in parallel, with small chunks.
          options: t.id === 'w3' ? { chunkRows: 500, splitRowsThreshold: 900, rangesPerTable: 3 } : undefined,
        })),
        { tenantId: 'core-missing', source: { server: 'local', database: 'tmig_t_no_such_db' }, target: { server: 'target', database: 'tmig_t_dst_missing' } },
        { tenantId: 'core-unreach', source: { server: 'unreachable', database: 'x' }, target: { server: 'target', database: 'tmig_t_dst_unreach' } },
      ],
      options: { maxConcurrentTenants: 3, chunkRows: 700 },
    };
    const result: MigrationWaveResult = await env.client.workflow.execute('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-core-wave', args: [input],
    });
    expect(result.succeeded.map((s) => s.tenantId).sort()).toEqual(['core-w1', 'core-w2', 'core-w3']);
    expect(migrationWaveResultSchema.parse(result)).toEqual(result);
    expect(result.failed.map((f) => f.tenantId).sort()).toEqual(['core-missing', 'core-unreach']);
    expect(result.failed.find((f) => f.tenantId === 'core-missing')!.error).toMatch(/tmig_t_no_such_db.*does not exist/);
    expect(result.failed.find((f) => f.tenantId === 'core-unreach')!.error).toMatch(/unreachable/i);

    const failureType = async (id: string) => {
      try {
        await env.client.workflow.getHandle(`tenant-${id}@core-wave`).result();
        return 'none';
      } catch (err) {
        expect(err).toBeInstanceOf(WorkflowFailedError);
        return ((err as WorkflowFailedError).cause as { type?: string }).type;
      }
    };
    expect(await failureType('core-missing')).toBe('SourceMissing');
    // A missing source is found before anything is created for it.
    const created = await withDb('postgres', (db) => db.query(`SELECT 1 FROM pg_database WHERE datname = 'tmig_t_dst_missing'`));
    expect(created.rowCount).toBe(0);
    expect(await failureType('core-unreach')).toBe('ServerUnreachable');

    for (const t of tenants) {
      const [src, dst] = await Promise.all([tableDigests(`tmig_t_src_${t.id}`), tableDigests(`tmig_t_dst_${t.id}`)]);
      expect(Object.keys(src).length).toBeGreaterThanOrEqual(8);
      // Edge values (NaN, infinities, -0, BC dates, json with duplicate keys, money, xml, nested arrays...).
      expect(src['public.type_zoo'].rows).toBe(3);
      expect(dst).toEqual(src);
      const r: TenantMigrationResult = await env.client.workflow.getHandle(`tenant-core-${t.id}@core-wave`).result();
      // The result matches its contract schema exactly (no field outside it, none of the wrong type).
      expect(tenantMigrationResultSchema.parse(r)).toEqual(r);
      expect(r.ok).toBe(true);
      expect(r.validation?.ok).toBe(true);
      expect(r.tables.find((x) => x.table === 'public.bookings')!.sourceRows).toBe(t.rows);
      expect(r.tables.every((x) => x.sourceRows === x.targetRows && x.checksumOk)).toBe(true);
      // Structural checks ran too (keys, FKs, types, sequences), and the report was written.
      expect(r.validation!.findings.some((f) => f.check !== 'chunks' && f.ok)).toBe(true);
      expect(existsSync(r.reportPath!)).toBe(true);
    }
    // Integer (guests) and uuid (bookings) keys were both split into parallel key ranges.
    const split = await withDb('tmig_t_dst_w3', (db) => db.query(`SELECT table_name, count(*)::int AS n FROM _tmig.checkpoint
      WHERE table_name IN ('public.guests', 'public.bookings') GROUP BY 1 ORDER BY 1`));
    expect(existsSync(result.reportPath!)).toBe(true);
    expect(split.rows).toEqual([{ table_name: 'public.bookings', n: 3 }, { table_name: 'public.guests', n: 3 }]);
    // ... and validated range by range, every chunk re-read.
    const w3: TenantMigrationResult = await env.client.workflow.getHandle('tenant-core-w3@core-wave').result();
    const guests = w3.tables.find((x) => x.table === 'public.guests')!;
    expect(guests.ranges).toBe(3);
    expect(guests.chunksVerified).toBe(guests.chunks);
    expect(guests.sourceRows).toBe(await withDb('tmig_t_src_w3', (db) => db.query('SELECT count(*)::int AS n FROM guests')).then((x) => x.rows[0].n));
    expect(result.counts).toMatchObject({ total: 5, succeeded: 3, alreadyComplete: 0, failed: 2, cancelled: 0 });
    expect(result.failed.find((f) => f.tenantId === 'core-missing')).toMatchObject({ errorType: 'SourceMissing', workflowId: 'tenant-core-missing@core-wave' });

    // Locks leave nothing behind: once the wave has ended, its per-target locks and pool governors
    // end after their idle grace (10 s by default) and nothing is running.
    const deadline = Date.now() + 40_000;
    let runningNow = -1;
    while (Date.now() < deadline) {
      runningNow = (await env.client.workflow.count('ExecutionStatus = "Running"')).count;
      if (runningNow === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(runningNow).toBe(0);
    expect((await env.client.workflow.count('WorkflowType = "concurrencyGovernor"')).count).toBeGreaterThanOrEqual(5);
    expect((await env.client.workflow.count('TmigRole = "tenant" AND WaveId = "core-wave"')).count).toBe(5);
  });

  it('a rerun of the wave: every target already complete is its own outcome (not rows 0), reports kept per run', async () => {
    const input: MigrationWaveInput = {
      waveId: 'core-wave-again',
      tenants: tenants.slice(0, 2).map((t) => ({
        tenantId: `core-${t.id}`, source: { server: 'local', database: `tmig_t_src_${t.id}` }, target: { server: 'target', database: `tmig_t_dst_${t.id}` },
      })),
    };
    const result: MigrationWaveResult = await env.client.workflow.execute('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-core-wave-again', args: [input] });
    expect(result.counts).toMatchObject({ total: 2, succeeded: 0, alreadyComplete: 2, failed: 0, rowsCopied: 0 });
    expect(result.succeeded.every((s) => s.alreadyComplete)).toBe(true);
    // Each tenant now has two runs, each with its own report; the wave report links this run's.
    expect(result.runKey).toMatch(/^core-wave-again\.\d{8}T\d{6}Z$/);
    const wave = JSON.parse(readFileSync(result.reportPath!.replace(/wave\.html$/, 'wave.json'), 'utf8'));
    expect(wave.summary).toMatchObject({ tenants: 2, alreadyComplete: 2 });
    expect(wave.tenants[0].report.html).toContain(`/runs/${result.runKey}/report.html`);
    const r1 = await env.client.workflow.getHandle('tenant-core-w1@core-wave-again').result() as TenantMigrationResult;
    expect(r1.alreadyComplete).toBe(true);
    expect(existsSync(r1.reportPath!)).toBe(true);
    expect(r1.reportPath).toContain(`/tenants/core-w1/runs/${result.runKey}/`);
  });

  it('carries the whole schema: views, matviews, functions, triggers, comments, extensions, sequences, keys', async () => {
    await withDb('tmig_t_dst_w2', async (db) => {
      const q = async (sql: string) => (await db.query(sql)).rows[0];
      expect(await q(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'citext'`)).toEqual({ n: 1 });
      expect(await q(`SELECT count(*)::int AS n FROM pg_views WHERE viewname = 'confirmed_bookings'`)).toEqual({ n: 1 });
      expect(await q(`SELECT count(*)::int AS n FROM revenue_by_hotel`)).toEqual({ n: 3 });
      expect(await q(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'guests_touch'`)).toEqual({ n: 1 });
      expect(await q(`SELECT obj_description('public.guests'::regclass) AS c`)).toEqual({ c: 'People who stayed with us' });
      expect(await q(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = 'public.bookings'::regclass AND convalidated`)).toEqual({ n: 2 });
      expect(await q(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'bookings_guest_idx'`)).toEqual({ n: 1 });
      // Sequences continue past the copied keys.
      const staff = await db.query(`INSERT INTO "Staff Members" ("select") VALUES ('new') RETURNING "Id"`);
      expect(staff.rows[0].Id).toBe(26);
      const guest = await db.query(`INSERT INTO guests (email, full_name) VALUES ('n@example.com', 'N') RETURNING id`);
      const max = await q(`SELECT max(id)::int AS m FROM guests WHERE email <> 'n@example.com'`);
      expect(Number(guest.rows[0].id)).toBeGreaterThan(max.m);
      expect(await q(`SELECT status FROM _tmig.run`)).toEqual({ status: 'complete' });
      expect(await q(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`))
        .toEqual({ c: expect.stringMatching(/^tmig: complete/) });
    });
  });

  it('refuses an invalid manifest before anything starts, naming the field', async () => {
    const bad = { waveId: 'bad wave', tenants: [{ tenantId: 'x', source: { server: 'local' }, target: { server: 'target', database: 'y' } }] };
    await expect(env.client.workflow.execute('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-bad', args: [bad] }))
      .rejects.toSatisfy((err: unknown) => {
        const cause = (err as WorkflowFailedError).cause as { type?: string; message?: string };
        return cause.type === 'BadInput' && /waveId/.test(cause.message!) && /tenants\[0\]\.source\.database/.test(cause.message!);
      });
  });

  it('replays the recorded histories deterministically with the current workflow code', async () => {
    const { Worker } = await import('@temporalio/worker');
    const { ensureWorkflowBundle } = await import('../../src/workers/workflowBundle');
    const bundle = { codePath: ensureWorkflowBundle() };
    for (const workflowId of ['wave-core-wave', 'tenant-core-w3@core-wave', 'tenant-core-missing@core-wave']) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      expect(history.events?.length).toBeGreaterThan(5);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
    }
  });
});
