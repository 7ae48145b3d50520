import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createDatabaseFromScript, dropDatabase, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

/**
 * Crash resume on a SQL Server source: a real worker is SIGKILLed mid-table three times, once
 * in an int-keyed, once in a uniqueidentifier-keyed and once in an nvarchar-keyed table. Each
 * table resumes from its stored checkpoint (the first chunk of the next attempt follows the
 * last committed one) and ends exact: row counts, no duplicate keys, and a content digest
 * computed on each server by its own SQL.
 */
const MSSQL_URL = mssqlUrlOrSkip('SQL Server crash resume (test/mssql/crash.test.ts)');
const SRC = 'tmig_ms_crash_src';
const DST = 'tmig_ms_crash_dst';
const ROWS = 4_000;
const CHUNK = 100;

const SCRIPT = `
CREATE TABLE dbo.ByInt (Id int NOT NULL CONSTRAINT PK_ByInt PRIMARY KEY, Amount decimal(12,2) NOT NULL, Note nvarchar(60) NULL);
CREATE TABLE dbo.ByGuid (Id uniqueidentifier NOT NULL CONSTRAINT PK_ByGuid PRIMARY KEY, Seq int NOT NULL, At datetimeoffset(3) NOT NULL);
CREATE TABLE dbo.ByText (Code nvarchar(40) NOT NULL CONSTRAINT PK_ByText PRIMARY KEY, Seq int NOT NULL, Label nvarchar(100) NULL);
GO
WITH n AS (SELECT TOP (${ROWS}) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns a CROSS JOIN sys.all_columns b)
INSERT INTO dbo.ByInt (Id, Amount, Note) SELECT k, k * 1.25, CASE WHEN k % 9 = 0 THEN NULL ELSE N'note ' + CAST(k AS nvarchar(10)) END FROM n;
WITH n AS (SELECT TOP (${ROWS}) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns a CROSS JOIN sys.all_columns b)
INSERT INTO dbo.ByGuid (Id, Seq, At) SELECT NEWID(), k, TODATETIMEOFFSET(DATEADD(second, k, CAST('2024-06-01T00:00:00' AS datetime2(3))), 60) FROM n;
WITH n AS (SELECT TOP (${ROWS}) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns a CROSS JOIN sys.all_columns b)
INSERT INTO dbo.ByText (Code, Seq, Label)
SELECT CASE k % 5 WHEN 0 THEN N'alpha-' WHEN 1 THEN N'Alpha-' WHEN 2 THEN N'ébène-' WHEN 3 THEN N'Zeta-' ELSE N'ω-' END + CAST(k AS nvarchar(10)), k, N'label ' + CAST(k % 97 AS nvarchar(5)) FROM n;
`;

interface Cp { n: number; chunks: number; done: boolean }

async function checkpoints(): Promise<Record<string, Cp>> {
  return withDb(DST, (db) => db.query(`SELECT table_name, rows_done::int AS n, chunks, done FROM _tmig.checkpoint`))
    .then((r) => Object.fromEntries(r.rows.map((x) => [x.table_name, { n: x.n, chunks: x.chunks, done: x.done }]))).catch(() => ({}));
}

describe.skipIf(!MSSQL_URL)('crash resume on a SQL Server source (SIGKILL mid-table)', () => {
  let admin: sql.ConnectionPool;
  let env: TestWorkflowEnvironment;
  const workers: WorkerProcess[] = [];
  let config: string;

  beforeAll(async () => {
    admin = await mssqlAdminPool();
    await createDatabaseFromScript(admin, SRC, SCRIPT);
    await dropDatabases(DST);
    env = await startTemporal();
    config = writeTestConfig({
      servers: {
        ms: mssqlServerConfig('TMIG_CRASH_MSSQL_PASSWORD'),
        target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 4 },
      },
    });
  });

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await env?.teardown();
    if (admin) await dropDatabase(admin, SRC).catch(() => undefined);
    await admin?.close();
    await dropDatabases(DST);
  });

  it('resumes each table from its checkpoint after a kill and ends exact', async () => {
    workers.push(await startWorker(env.address, config));
    const input: TenantMigrationInput = {
      tenantId: 'ms-crash', source: { server: 'ms', database: SRC }, target: { server: 'target', database: DST },
      options: { chunkRows: CHUNK, tableConcurrency: 1, validation: 'full' },
    };
    const handle = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-ms-crash', args: [input] });

    // Tables are copied one at a time; kill the worker once inside each of them.
    const atKill: Record<string, Cp> = {};
    const tables = ['public.ByInt', 'public.ByGuid', 'public.ByText'];
    const deadline = Date.now() + 240_000;
    while (Object.keys(atKill).length < tables.length && Date.now() < deadline) {
      const cps = await checkpoints();
      const t = tables.find((x) => !atKill[x] && cps[x] && !cps[x].done && cps[x].n >= 2 * CHUNK && cps[x].n <= ROWS - 4 * CHUNK);
      if (t) {
        await workers[workers.length - 1].stop('SIGKILL');
        atKill[t] = (await checkpoints())[t];
        workers.push(await startWorker(env.address, config));
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(Object.keys(atKill).sort()).toEqual([...tables].sort());

    const result: TenantMigrationResult = await handle.result();
    expect(result.ok).toBe(true);
    expect(result.validation?.ok).toBe(true);

    await withDb(DST, async (db) => {
      for (const t of tables) {
        const cp = atKill[t];
        expect(cp.chunks, t).toBeGreaterThan(0);
        expect(cp.n, t).toBeLessThan(ROWS);
        const chunks = await db.query<{ chunk_no: number; rows: string; attempt: number }>(
          `SELECT chunk_no, rows::text, attempt FROM _tmig.chunk WHERE table_name = $1 ORDER BY chunk_no`, [t]);
        expect(chunks.rows.map((c) => c.chunk_no), t).toEqual(chunks.rows.map((_, i) => i + 1));
        expect(chunks.rows.reduce((s, c) => s + Number(c.rows), 0), t).toBe(ROWS);
        // Resumed from the checkpoint: the chunks committed before the kill were not copied again.
        // (Small tables share one activity per batch, so a table may start in a retried attempt:
        // the chunks before its own kill carry one attempt, the first chunk after it a later one.)
        const before = chunks.rows.filter((c) => c.chunk_no <= cp.chunks);
        const attemptAtKill = before[0].attempt;
        expect(before.every((c) => c.attempt === attemptAtKill), t).toBe(true);
        const firstRetried = chunks.rows.find((c) => c.attempt > attemptAtKill)!;
        expect(firstRetried.chunk_no, t).toBe(cp.chunks + 1);
      }
      expect(result.tables?.find((x) => x.table === 'public.ByGuid')?.resumedFromRows).toBe(atKill['public.ByGuid'].n);
    });

    // Exact: counts, distinct keys and an order-independent content sum computed by each server's own SQL.
    const ms = await mssqlAdminPool(SRC);
    try {
      const s = (await ms.request().query(`SELECT
        (SELECT COUNT(*) FROM dbo.ByInt) AS a, (SELECT CONVERT(varchar(40), SUM(Amount)) FROM dbo.ByInt) AS asum,
        (SELECT COUNT(DISTINCT Id) FROM dbo.ByGuid) AS g, (SELECT SUM(CAST(Seq AS bigint)) FROM dbo.ByGuid) AS gsum,
        (SELECT COUNT(DISTINCT Code) FROM dbo.ByText) AS t, (SELECT SUM(CAST(Seq AS bigint) * LEN(Code)) FROM dbo.ByText) AS tsum`)).recordset[0];
      const d = await withDb(DST, (db) => db.query(`SELECT
        (SELECT count(*) FROM "ByInt")::int AS a, (SELECT sum("Amount")::text FROM "ByInt") AS asum,
        (SELECT count(DISTINCT "Id") FROM "ByGuid")::int AS g, (SELECT sum("Seq")::text FROM "ByGuid") AS gsum,
        (SELECT count(DISTINCT "Code") FROM "ByText")::int AS t, (SELECT sum("Seq"::bigint * length("Code"))::text FROM "ByText") AS tsum`)).then((r) => r.rows[0]);
      expect([d.a, d.g, d.t]).toEqual([ROWS, ROWS, ROWS]);
      expect([s.a, s.g, s.t]).toEqual([ROWS, ROWS, ROWS]);
      expect(d.asum).toBe(String(s.asum));
      expect(d.gsum).toBe(String(s.gsum));
      expect(d.tsum).toBe(String(s.tsum));
    } finally {
      await ms.close();
    }
  });
});
