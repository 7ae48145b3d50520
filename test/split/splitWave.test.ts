import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { PostgresSourceEngine } from '../../src/engines/postgres/source';
import { discoverPlan } from '../../src/split/discoverPlan';
import { splitPlanSchema, type SplitPlan } from '../../src/contract/splitPlan';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { MigrationWaveResult, TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';
import { tmigProcess } from '../helpers/tmigCli';
import { SHARED_DATA, SHARED_SCHEMA, TENANT_ROWS } from './sharedFixture';

const SRC = 'tmig_split_src';
const TENANTS = ['1', '2', '3', '4', '5'];
const target = (k: string) => `tmig_split_t${k}`;
const CRASH_DST = 'tmig_split_crash';
const DROP_DST = 'tmig_split_dropcol';

const tmig = (config: string, address: string, ...args: string[]) => tmigProcess(['--address', address, ...args], { MIGRATOR_CONFIG: config });

/** Rows of a query as sorted text lines (independent of tmig's own encoding). */
async function rowsOf(database: string, sql: string): Promise<string[]> {
  return withDb(database, async (db) => {
    await db.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'`);
    const r = await db.query<{ line: string }>(`SELECT x::text AS line FROM (${sql}) x ORDER BY 1`);
    return r.rows.map((row) => row.line);
  });
}

describe('split a shared database into one database per tenant (real Temporal, real worker)', () => {
  let env: TestWorkflowEnvironment;
  let plan: SplitPlan;
  let config: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    await dropDatabases(SRC, CRASH_DST, DROP_DST, ...TENANTS.map(target));
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(SHARED_SCHEMA + SHARED_DATA + `
      -- A large rooted table for the crash test (tenant 2 holds 50k rows).
      CREATE TABLE events (id bigint PRIMARY KEY, client_id int NOT NULL REFERENCES clients(id), payload text);
      CREATE INDEX events_tenant ON events (client_id, id);
      INSERT INTO events SELECT g, 1 + (g % 3), repeat('x', 40) || g FROM generate_series(1, 150000) g;
      ANALYZE events;`));
    const engine = new PostgresSourceEngine({ serverName: 'local', server: { url: PG_ADMIN_URL }, database: SRC });
    const found = discoverPlan(await engine.describe(), 'client_id');
    await engine.close();
    expect(found.unplaceable).toEqual([]);
    // The fixture plants no-tenant and two-tenant rows: this plan lets them through (reported).
    plan = splitPlanSchema.parse({ ...found.plan, onOrphans: 'skip', onTwoTenants: 'skip' });
    env = await startTemporal();
    config = writeTestConfig();
    workers.push(await startWorker(env.address, config));
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await env?.teardown();
    await dropDatabases(SRC, CRASH_DST, DROP_DST, ...TENANTS.map(target));
  });

  it('splits to 5 tenants: each target equals the source filtered by its tenant, FKs valid, sequences past the tenant\'s own max', async () => {
    // Through the operator CLI: accounting first, then the phase's wave, then every target checked against the accounting.
    const dir = mkdtempSync(join(tmpdir(), 'tmig-split-wave-'));
    const planPath = join(dir, 'plan.json');
    writeFileSync(planPath, JSON.stringify(plan));
    const cli = await tmig(config, env.address, 'split', 'wave', '--plan', planPath, '--source', `local/${SRC}`,
      '--tenants-from', 'SELECT id FROM clients WHERE id <= 5 ORDER BY id', '--target-server', 'target', '--target-database', 'tmig_split_t{tenant}',
      '--phase-size', '50', '--wave-prefix', 'split-test', '--out', dir, '--start',
      '--options', JSON.stringify({ maxConcurrentTenants: 5, chunkRows: 400, splitRowsThreshold: 100, rangesPerTable: 2 }));
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/wave split-test-phase-01: 5 succeeded, 0 failed/);
    expect(cli.stdout).toMatch(/split accounting: every row accounted for/);
    const reportsDir = (JSON.parse(readFileSync(config, 'utf8')) as { reports: { dir: string } }).reports.dir;
    const accounting = JSON.parse(readFileSync(join(reportsDir, 'waves', 'split-test', 'split-accounting.json'), 'utf8'));
    expect(accounting.targetProblems).toEqual([]);
    const customers = accounting.tables.find((t: { table: string }) => t.table === 'public.customers');
    expect(customers).toMatchObject({ noTenantRows: 2, unknownTenantRows: 240, twoTenantRows: 0, balanced: true, tenantRows: { 1: 40, 2: 80, 3: 120, 4: 160, 5: 200 } });
    expect(accounting.tables.find((t: { table: string }) => t.table === 'public.enrollments').twoTenantRows).toBe(3);
    expect(JSON.stringify(accounting)).not.toMatch(/sampleKeys/); // reportKeys is off: no key leaves the source

    // The wave accounted for every row itself (its result and report carry it, whoever started it).
    expect(cli.stdout).toMatch(/wave split-test-phase-01: split accounting complete/);
    const waveReport = JSON.parse(readFileSync(join(reportsDir, 'waves', 'split-test-phase-01', 'wave.json'), 'utf8'));
    const own = waveReport.splitAccounting[0];
    expect(own).toMatchObject({ source: { server: 'local', database: SRC }, plan: 'split', tenants: 5, knowsAllPhases: true, complete: true, failures: [] });
    expect(own.tables.find((t: { table: string }) => t.table === 'public.customers'))
      .toMatchObject({ sourceRows: 842, waveTenantRows: 600, targetRows: 600, otherPhaseRows: 0, noTenantRows: 2, unknownTenantRows: 240, twoTenantRows: 0 });
    for (const t of own.tables.filter((x: { role: string }) => x.role === 'rooted' || x.role === 'reached')) {
      // Every source row: in exactly one tenant's target, or counted as no tenant / unknown tenant / two tenants.
      expect(t.targetRows + t.otherPhaseRows + t.noTenantRows + t.unknownTenantRows + t.twoTenantRows, t.table).toBe(t.sourceRows);
    }
    expect(own.warnings.join('\n')).toMatch(/public\.enrollments: 3 rows reach two tenants/);

    // A wave started directly (as from the Temporal UI), one phase of two tenants, with the default policy: orphans fail its accounting.
    const phase = JSON.parse(readFileSync(join(dir, 'split-test-phase-01.json'), 'utf8'));
    const direct = { waveId: 'split-direct', tenants: phase.tenants.filter((t: { tenantId: string }) => ['4', '5'].includes(t.tenantId)),
      splitPlans: { split: { ...plan, onOrphans: 'fail' } } };
    const res = await env.client.workflow.execute('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-split-direct', args: [direct] }) as MigrationWaveResult;
    expect(res.succeeded.length).toBe(2);
    const acc = res.splitAccounting![0];
    expect(acc).toMatchObject({ tenants: 2, knowsAllPhases: false, complete: false });
    expect(acc.failures.join('\n')).toMatch(/table public\.customers: 2 rows with no tenant/);
    expect(acc.tables.find((t) => t.table === 'public.customers')).toMatchObject({ waveTenantRows: 360, targetRows: 360, unknownTenantRows: 480 });
    expect(acc.tables.find((t) => t.table === 'public.countries')).toMatchObject({ role: 'shared', sourceRows: 3, targetRows: 3 });

    for (const k of TENANTS) {
      for (const [table, sql] of Object.entries(TENANT_ROWS)) {
        const [want, got] = await Promise.all([rowsOf(SRC, sql(Number(k))), rowsOf(target(k), `SELECT * FROM ${table}`)]);
        expect(got, `tenant ${k} ${table}`).toEqual(want);
        if (table !== 'public.countries' && table !== 'public.clients') expect(got.length).toBeGreaterThan(0);
      }
      // The events table is the tenant's slice too (it is rooted on client_id).
      const [we, ge] = await Promise.all([rowsOf(SRC, `SELECT * FROM events WHERE client_id = ${k}`), rowsOf(target(k), 'SELECT * FROM events')]);
      expect(ge.length).toBe(we.length);
      await withDb(target(k), async (db) => {
        // Every FK (also to the shared countries table and the self-reference) exists and is validated.
        const fks = await db.query<{ conname: string; convalidated: boolean }>(`SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`);
        expect(fks.rows.length).toBe(11);
        expect(fks.rows.every((f) => f.convalidated)).toBe(true);
        // Sequences and identities: past the tenant's own max, not the global one.
        const seq = await db.query<{ last: string; max: string }>(`SELECT (SELECT last_value FROM customers_id_seq)::text AS last, (SELECT max(id) FROM customers)::text AS max`);
        expect(seq.rows[0].last).toBe(seq.rows[0].max);
        const ident = await db.query<{ last: string; max: string }>(`SELECT (SELECT last_value FROM pg_sequences WHERE sequencename = 'orders_order_no_seq')::text AS last, (SELECT max(order_no) FROM orders)::text AS max`);
        expect(ident.rows[0].last).toBe(ident.rows[0].max);
        const next = await db.query<{ id: string }>(`INSERT INTO customers (client_id, name) VALUES (${k}, 'new') RETURNING id::text`);
        expect(BigInt(next.rows[0].id)).toBe(BigInt(seq.rows[0].max) + 1n);
      });
      // The tenant report says how each table's slice was read.
      const cfg = JSON.parse(readFileSync(config, 'utf8')) as { reports: { dir: string } };
      const report = JSON.parse(readFileSync(join(cfg.reports.dir, 'tenants', k, 'report.json'), 'utf8')) as { schema?: { notes: { object: string; message: string }[] } };
      const notes = JSON.stringify(report);
      expect(notes).toMatch(/split: rooted on client_id; slice read by index customers_tenant/);
      expect(notes).toMatch(/split: reached via public\.line_notes/);
    }
    const globalLast = await withDb(SRC, (db) => db.query<{ n: string }>(`SELECT last_value::text AS n FROM customers_id_seq`)).then((r) => BigInt(r.rows[0].n));
    const t1Last = await withDb(target('1'), (db) => db.query<{ n: string }>(`SELECT max(id)::text AS n FROM customers WHERE name <> 'new'`)).then((r) => BigInt(r.rows[0].n));
    expect(t1Last).toBeLessThan(globalLast);
  }, 300_000);

  it('resumes a slice after a SIGKILL of the worker mid-slice, with no row lost or written twice', async () => {
    const input: TenantMigrationInput = {
      tenantId: 'crash-2', source: { server: 'local', database: SRC, split: { tenantKey: { value: '2' }, plan: { ...plan, excluded: [] } } },
      target: { server: 'target', database: CRASH_DST }, options: { chunkRows: 1_000, tableConcurrency: 1, splitRowsThreshold: 10_000_000 },
    };
    const handle = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-crash-2', args: [input] });
    let rowsAtKill = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      rowsAtKill = await withDb(CRASH_DST, (db) => db.query(`SELECT coalesce(max(rows_done), 0)::int AS n FROM _tmig.checkpoint WHERE table_name = 'public.events'`))
        .then((r) => r.rows[0].n as number).catch(() => 0);
      if (rowsAtKill >= 8_000) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(rowsAtKill).toBeGreaterThanOrEqual(8_000);
    expect(rowsAtKill).toBeLessThan(50_000);
    await workers[0].stop('SIGKILL');
    workers.push(await startWorker(env.address, config));
    const result: TenantMigrationResult = await handle.result();
    expect(result.ok).toBe(true);
    expect(result.tables.find((t) => t.table === 'public.events')!.resumedFromRows).toBeGreaterThanOrEqual(rowsAtKill);
    const [want, got] = await Promise.all([rowsOf(SRC, 'SELECT * FROM events WHERE client_id = 2'), rowsOf(CRASH_DST, 'SELECT * FROM events')]);
    expect(got.length).toBe(50_000);
    expect(got).toEqual(want);
    const chunks = await withDb(CRASH_DST, (db) => db.query<{ chunk_no: number; attempt: number }>(`SELECT chunk_no, attempt FROM _tmig.chunk WHERE table_name = 'public.events' ORDER BY chunk_no`));
    expect(chunks.rows.map((c) => c.chunk_no)).toEqual(chunks.rows.map((_, i) => i + 1));
    expect(chunks.rows.some((c) => c.attempt > 1)).toBe(true);
  }, 300_000);

  it('drops the tenant column from every rooted table by option, with the indexes and FKs on it, and still validates', async () => {
    const input: TenantMigrationInput = {
      tenantId: 'dropcol-3', source: { server: 'local', database: SRC, split: { tenantKey: { value: '3' }, plan: { ...plan, dropTenantColumn: true } } },
      target: { server: 'target', database: DROP_DST }, options: { chunkRows: 5_000 },
    };
    const result: TenantMigrationResult = await env.client.workflow.execute('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-dropcol-3', args: [input] });
    expect(result.ok).toBe(true);
    const cols = await withDb(DROP_DST, (db) => db.query<{ t: string; c: string }>(`SELECT table_name AS t, column_name AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name IN ('client_id', 'OwnerClient', 'id') ORDER BY 1, 2`)).then((r) => r.rows.map((x) => `${x.t}.${x.c}`));
    expect(cols.filter((c) => !c.endsWith('.id'))).toEqual([]);
    expect(cols).toContain('clients.id'); // the root's tenant column is its key: kept
    const [want, got] = await Promise.all([
      rowsOf(SRC, `SELECT id, country, name FROM customers WHERE client_id = 3`), rowsOf(DROP_DST, 'SELECT id, country, name FROM customers')]);
    expect(got).toEqual(want);
    const [wo, go] = await Promise.all([
      rowsOf(SRC, `SELECT order_no, customer_id, placed FROM orders WHERE "OwnerClient" = 3`), rowsOf(DROP_DST, 'SELECT order_no, customer_id, placed FROM orders')]);
    expect(go).toEqual(wo);
    const fks = await withDb(DROP_DST, (db) => db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND convalidated`));
    expect(fks.rows[0].n).toBe(7);
  }, 180_000);
});
