import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import { to as copyTo } from 'pg-copy-streams';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createDatabaseFromScript, dropDatabase, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { FULL_RANGE } from '../../src/engines/sourceEngine';
import { CANONICAL_SESSION_SETTINGS } from '../../src/engines/copyText';
import type { MigrationWaveInput, MigrationWaveResult, TenantMigrationResult } from '../../src/contract/migration';
import type { SchemaModel, TableModel } from '../../src/engines/schemaModel';

/**
 * A whole SQL Server wave on the TDS endpoint: three tenants built by our own T-SQL scripts
 * (test/mssql/tenants/*.sql) go through describe, audit (mssql dialect, pattern check included),
 * pre-data, chunked exactly-once copy (GUID, text, composite and identity keys), post-data,
 * full validation and reports, on a real Temporal dev server and a real worker process. Then
 * every target table is compared with its source row by row: the source read through the mssql
 * driver, the target through pg, both in canonical text.
 */
const MSSQL_URL = mssqlUrlOrSkip('SQL Server wave (test/mssql/wave.test.ts)');
const TENANTS = ['hotel', 'school', 'shop'];
const src = (t: string) => `tmig_ms_wave_${t}`;
const dst = (t: string) => `tmig_ms_wave_dst_${t}`;

/** Canonical text of a table in the target, one line per row, lines sorted (order-independent). */
async function targetLines(database: string, table: TableModel): Promise<string[]> {
  return withDb(database, async (db) => {
    for (const [k, v] of Object.entries(CANONICAL_SESSION_SETTINGS)) await db.query(`SET ${k} = '${v}'`);
    const cols = table.columns.filter((c) => !c.generated).map((c) => `"${c.targetName.replace(/"/g, '""')}"`).join(', ');
    const chunks: Buffer[] = [];
    for await (const c of db.query(copyTo(`COPY (SELECT ${cols} FROM "${table.targetSchema}"."${table.targetName}") TO STDOUT`))) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).sort();
  });
}

/** The same table read from SQL Server through the mssql driver (lossless projections), canonical text, sorted. */
async function sourceLines(engine: MssqlSourceEngine, table: TableModel): Promise<string[]> {
  const stream = await engine.readChunk({ table, range: FULL_RANGE, after: null, limit: null });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).sort();
}

describe.skipIf(!MSSQL_URL)('SQL Server wave on the TDS endpoint', () => {
  let admin: sql.ConnectionPool;
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  let reportsDir: string;

  beforeAll(async () => {
    admin = await mssqlAdminPool();
    for (const t of TENANTS) await createDatabaseFromScript(admin, src(t), readFileSync(join(__dirname, 'tenants', `${t}.sql`), 'utf8'));
    await dropDatabases(...TENANTS.map(dst));
    env = await startTemporal();
    const config = writeTestConfig({
      servers: {
        ms: mssqlServerConfig('TMIG_WAVE_MSSQL_PASSWORD'),
        target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 4 },
      },
    });
    reportsDir = join(JSON.parse(readFileSync(config, 'utf8')).reports.dir as string);
    worker = await startWorker(env.address, config);
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    for (const t of TENANTS) if (admin) await dropDatabase(admin, src(t)).catch(() => undefined);
    await admin?.close();
    await dropDatabases(...TENANTS.map(dst));
  });

  it('migrates three tenants end to end, each target equal to its source', async () => {
    const input: MigrationWaveInput = {
      waveId: 'ms-wave',
      tenants: TENANTS.map((t) => ({
        tenantId: `ms-${t}`, source: { server: 'ms', database: src(t) }, target: { server: 'target', database: dst(t) },
        options: t === 'hotel'
          ? { auditChecks: [
            { table: 'dbo.Guest', column: 'Email', check: 'pattern', pattern: '^[^@\\s]+@[^@\\s]+\\.[a-z]+$' },
            { table: 'dbo.Booking', column: 'Total', check: 'range', min: 0 },
          ] }
          : undefined,
      })),
      options: { maxConcurrentTenants: 3, chunkRows: 150, tableConcurrency: 2, audit: true, validation: 'full' },
    };
    const result: MigrationWaveResult = await env.client.workflow.execute('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-ms-wave', args: [input],
    });
    expect(result.failed).toEqual([]);
    expect(result.succeeded.map((s) => s.tenantId).sort()).toEqual(TENANTS.map((t) => `ms-${t}`));

    for (const t of TENANTS) {
      const r: TenantMigrationResult = await env.client.workflow.getHandle(`tenant-ms-${t}@ms-wave`).result();
      expect(r.ok, t).toBe(true);
      expect(r.validation?.ok, t).toBe(true);
      expect(r.validation?.tables.every((x) => x.checksumOk && x.sourceRows === x.targetRows), t).toBe(true);
      // Reports were written (JSON and HTML) and name the tenant.
      expect(r.reportPath && existsSync(r.reportPath), t).toBe(true);
      const json = readFileSync(r.reportPath!.replace(/\.html$/, '.json'), 'utf8');
      expect(json).toContain(`ms-${t}`);
      expect(reportsDir).toBeTruthy();
    }

    // The audit ran with the mssql dialect: the pattern check matched in the worker found the planted bad emails.
    const hotel: TenantMigrationResult = await env.client.workflow.getHandle('tenant-ms-hotel@ms-wave').result();
    const report = JSON.parse(readFileSync(hotel.reportPath!.replace(/\.html$/, '.json'), 'utf8')) as { audit?: { findings: { check: string; count: number; sampleKeys: string[] }[] } };
    const pattern = report.audit!.findings.find((f) => f.check === 'pattern')!;
    // Guests k % 7 = 0 and k % 5 != 0 (400 guests) have 'not-an-email-k'.
    const planted = Array.from({ length: 400 }, (_, i) => i + 1).filter((k) => k % 7 === 0 && k % 5 !== 0).length;
    expect(pattern.count).toBe(planted);
    expect(pattern.sampleKeys[0]).toBe('GuestId=7');
    expect(report.audit!.findings.some((f) => f.check === 'range')).toBe(false);

    // Every table: source (mssql driver) and target (pg) in canonical text, compared row by row.
    for (const t of TENANTS) {
      const engine = new MssqlSourceEngine({ serverName: 'ms', server: mssqlServerConfig('TMIG_WAVE_MSSQL_PASSWORD'), database: src(t) });
      try {
        const model: SchemaModel = await engine.describe();
        expect(model.tables.length).toBeGreaterThanOrEqual(3);
        for (const table of model.tables) {
          const [a, b] = await Promise.all([sourceLines(engine, table), targetLines(dst(t), table)]);
          expect(b.length, `${t} ${table.name}`).toBe(a.length);
          expect(b, `${t} ${table.name}`).toEqual(a);
          expect(a.length, `${t} ${table.name}`).toBeGreaterThan(0);
        }
      } finally {
        await engine.close();
      }
    }

    // Structure in the target: case-sensitive and reserved names, identity restarted past the max,
    // computed columns generated, filtered and INCLUDE indexes, FKs validated, GUID keys paged.
    await withDb(dst('school'), async (db) => {
      const cols = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'Academic' AND table_name = 'Group' ORDER BY ordinal_position`);
      expect(cols.rows.map((r) => r.column_name)).toEqual(['GroupId', 'Select', 'From', 'MixedCase Name', 'Order']);
      const next = await db.query(`INSERT INTO "Academic"."Group" ("Select") VALUES ('new') RETURNING "GroupId"::text AS id, "Order" AS o`);
      expect(BigInt(next.rows[0].id)).toBeGreaterThan(1000n + 10n * 119n);
      expect(next.rows[0].o).toBe(1);
      const ix = await db.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'Academic' AND tablename = 'Group' AND indexdef LIKE '%UNIQUE%WHERE%'`);
      expect(ix.rows[0].indexdef).toMatch(/"From" IS NOT NULL/);
    });
    await withDb(dst('hotel'), async (db) => {
      const ix = await db.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'Guest' AND indexdef LIKE '%INCLUDE%'`);
      expect(ix.rows[0].indexdef).toMatch(/INCLUDE \("Email"\) WHERE \("Email" IS NOT NULL\)/);
      const fk = await db.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated`);
      expect(fk.rows[0].n).toBe(3);
      const gen = await db.query(`SELECT "LastNameUpper", "LastName" FROM "Guest" WHERE "GuestId" = 1`);
      expect(gen.rows[0].LastNameUpper).toBe(String(gen.rows[0].LastName).toUpperCase());
      const nights = await db.query(`SELECT count(*)::int AS n FROM _tmig.chunk WHERE table_name = 'public.Booking'`);
      expect(nights.rows[0].n).toBeGreaterThan(5); // the GUID-keyed table was copied in many chunks
    });
    await withDb(dst('shop'), async (db) => {
      const stock = await db.query(`SELECT "Stock"::text AS s, "Price"::text AS p, "Qty" AS q FROM "Product" WHERE "Qty" > 0 LIMIT 1`);
      expect(Number(stock.rows[0].s)).toBeCloseTo(Number(stock.rows[0].p) * stock.rows[0].q, 6);
    });
  });
});
