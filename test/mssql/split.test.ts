import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { to as copyTo } from 'pg-copy-streams';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createDatabaseFromScript, dropDatabase, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { FULL_RANGE, type SourceEngine } from '../../src/engines/sourceEngine';
import { CANONICAL_SESSION_SETTINGS } from '../../src/engines/copyText';
import type { SchemaModel, TableModel } from '../../src/engines/schemaModel';
import { discoverPlan } from '../../src/split/discoverPlan';
import { SliceSourceEngine } from '../../src/split/sliceSource';
import { mssqlSliceDialect } from '../../src/split/sliceSql';
import { sliceScanWarnings } from '../../src/split/indexAdvice';
import { accountSource } from '../../src/split/accounting';
import { splitWaveManifests } from '../../src/split/waveManifests';
import { planTableName, splitPlanSchema, type SplitPlan } from '../../src/contract/splitPlan';
import type { MigrationWaveResult } from '../../src/contract/migration';

/**
 * Splitting a shared SQL Server database on the TDS endpoint: the same slice engine, plan discovery,
 * accounting and wave as on PostgreSQL, through the SQL Server engine. Learners carry ClientId (rooted,
 * identities interleaved across tenants), Enrollments are reached in one hop, Attempts (composite key)
 * in two, Notes through an FK with no index (warned), Countries shared; one learner has no client and
 * client 4 is not in the split (orphans, let through by the plan and counted).
 */
const MSSQL_URL = mssqlUrlOrSkip('SQL Server split (test/mssql/split.test.ts)');
const DB = 'tmig_ms_split_src';
const TENANTS = ['1', '2', '3'];
const dst = (k: string) => `tmig_ms_split_t${k}`;

const SCRIPT = `
CREATE TABLE dbo.Clients (ClientId int NOT NULL PRIMARY KEY, Name nvarchar(100) NOT NULL);
CREATE TABLE dbo.Countries (Code char(2) NOT NULL PRIMARY KEY, Name nvarchar(100) NOT NULL);
CREATE TABLE dbo.Learners (Id int IDENTITY(1,1) NOT NULL PRIMARY KEY, ClientId int NULL REFERENCES dbo.Clients(ClientId),
  Country char(2) NULL REFERENCES dbo.Countries(Code), Name nvarchar(100) NOT NULL);
CREATE INDEX IX_Learners_Client ON dbo.Learners (ClientId, Id);
CREATE TABLE dbo.Enrollments (Id bigint NOT NULL PRIMARY KEY, LearnerId int NOT NULL REFERENCES dbo.Learners(Id), Course nvarchar(50) NOT NULL, Score decimal(5,2) NULL);
CREATE INDEX IX_Enrollments_Learner ON dbo.Enrollments (LearnerId);
CREATE TABLE dbo.Attempts (EnrollmentId bigint NOT NULL REFERENCES dbo.Enrollments(Id), AttemptNo int NOT NULL, Answer nvarchar(100) NULL,
  CONSTRAINT PK_Attempts PRIMARY KEY (EnrollmentId, AttemptNo));
CREATE TABLE dbo.Notes (Id int NOT NULL PRIMARY KEY, LearnerId int NOT NULL REFERENCES dbo.Learners(Id), Body nvarchar(200) NULL);
GO
INSERT INTO dbo.Clients VALUES (1, N'one'), (2, N'two'), (3, N'three'), (4, N'four');
INSERT INTO dbo.Countries VALUES ('CH', N'Switzerland'), ('FR', N'France');
GO
INSERT INTO dbo.Learners (ClientId, Country, Name)
  SELECT c.ClientId, CASE WHEN n.i % 2 = 0 THEN 'CH' ELSE 'FR' END, CONCAT(N'learner ', c.ClientId, N'-', n.i)
  FROM dbo.Clients c JOIN (SELECT a.v * 10 + b.v + 1 AS i FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) a(v)
    CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) b(v)) n ON n.i <= 10 * c.ClientId
  ORDER BY n.i, c.ClientId;
INSERT INTO dbo.Learners (ClientId, Country, Name) VALUES (NULL, 'CH', N'nobody');
GO
INSERT INTO dbo.Enrollments SELECT l.Id * 2 + k.v, l.Id, CONCAT(N'course ', k.v), (l.Id % 100) + 0.25 FROM dbo.Learners l CROSS JOIN (VALUES (0),(1)) k(v);
INSERT INTO dbo.Attempts SELECT e.Id, a.v, CONCAT(N'answer ', e.Id, N'.', a.v) FROM dbo.Enrollments e CROSS JOIN (VALUES (1),(2),(3)) a(v);
INSERT INTO dbo.Notes SELECT l.Id, l.Id, CONCAT(N'note ', l.Id) FROM dbo.Learners l WHERE l.Id % 3 = 0;
`;

/** Each table's rows of tenant k, as a hand-written condition (independent of the slice SQL). */
const BY_HAND: Record<string, (k: string) => string | null> = {
  'dbo.Clients': (k) => `[ClientId] = ${k}`,
  'dbo.Countries': () => null,
  'dbo.Learners': (k) => `[ClientId] = ${k}`,
  'dbo.Enrollments': (k) => `EXISTS (SELECT 1 FROM dbo.Learners l WHERE l.Id = [dbo].[Enrollments].[LearnerId] AND l.ClientId = ${k})`,
  'dbo.Attempts': (k) => `EXISTS (SELECT 1 FROM dbo.Enrollments e JOIN dbo.Learners l ON l.Id = e.LearnerId WHERE e.Id = [dbo].[Attempts].[EnrollmentId] AND l.ClientId = ${k})`,
  'dbo.Notes': (k) => `EXISTS (SELECT 1 FROM dbo.Learners l WHERE l.Id = [dbo].[Notes].[LearnerId] AND l.ClientId = ${k})`,
};

async function lines(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
}

/** A slice table read in keyset chunks of `size` rows, as the copy reads it. */
async function chunked(engine: SourceEngine, t: TableModel, size: number): Promise<string[]> {
  const out: string[] = [];
  let after: string[] | null = null;
  for (;;) {
    const chunk = await lines(await engine.readChunk({ table: t, range: FULL_RANGE, after, limit: size }));
    out.push(...chunk);
    if (chunk.length < size) return out;
    const last = chunk[chunk.length - 1].split('\t');
    const copied = t.columns.filter((c) => !c.generated);
    after = t.key!.map((k) => last[copied.findIndex((c) => c.name === k)]);
  }
}

async function targetLines(database: string, table: TableModel): Promise<string[]> {
  return withDb(database, async (db) => {
    for (const [k, v] of Object.entries(CANONICAL_SESSION_SETTINGS)) await db.query(`SET ${k} = '${v}'`);
    const cols = table.columns.filter((c) => !c.generated).map((c) => `"${c.targetName.replace(/"/g, '""')}"`).join(', ');
    return (await lines(db.query(copyTo(`COPY (SELECT ${cols} FROM "${table.targetSchema}"."${table.targetName}") TO STDOUT`)))).sort();
  });
}

describe.skipIf(!MSSQL_URL)('split a shared SQL Server database (TDS endpoint)', () => {
  let admin: sql.ConnectionPool;
  let model: SchemaModel;
  let plan: SplitPlan;
  const server = () => mssqlServerConfig('TMIG_SPLIT_MSSQL_PASSWORD');
  const base = () => new MssqlSourceEngine({ serverName: 'ms', server: server(), database: DB });

  beforeAll(async () => {
    admin = await mssqlAdminPool();
    await createDatabaseFromScript(admin, DB, SCRIPT);
    await dropDatabases(...TENANTS.map(dst));
    const engine = base();
    model = await engine.describe();
    await engine.close();
    const found = discoverPlan(model, 'ClientId');
    expect(found.unplaceable).toEqual([]);
    plan = splitPlanSchema.parse({ ...found.plan, onOrphans: 'skip' });
  }, 300_000);

  afterAll(async () => {
    if (admin) await dropDatabase(admin, DB).catch(() => undefined);
    await admin?.close();
    await dropDatabases(...TENANTS.map(dst));
  });

  it('discovers the plan from the SQL Server catalog and names the FK without an index', () => {
    expect(plan.rooted).toMatchObject({ 'dbo.Clients': 'ClientId', 'dbo.Learners': 'ClientId' });
    expect(plan.reached['dbo.Attempts'].steps.map((s) => [s.from, s.columns, s.to])).toEqual([
      ['dbo.Attempts', ['EnrollmentId'], 'dbo.Enrollments'], ['dbo.Enrollments', ['LearnerId'], 'dbo.Learners']]);
    expect(plan.shared).toEqual(['dbo.Countries']);
    expect(sliceScanWarnings(model, plan).map((w) => [w.table, w.column, w.createIndex]))
      .toEqual([['dbo.Notes', 'LearnerId', 'CREATE INDEX [ix_Notes_LearnerId] ON [dbo].[Notes] ([LearnerId]);']]);
  });

  it('reads each slice in keyset chunks exactly as the hand-written tenant condition selects, and accounts for every row', async () => {
    const whole = base();
    try {
      for (const k of TENANTS) {
        const slice = new SliceSourceEngine(base(), { tenantKey: { value: k }, plan }, `tenant ${k}`);
        try {
          const sliceModel = await slice.describe();
          const attempts = sliceModel.tables.find((t) => t.name === 'Attempts')!;
          expect(attempts.rowFilterKeyBound).toEqual({ expression: 's1.[Id]', type: 'bigint' });
          expect(attempts.estimatedRows).toBe(60 * Number(k));
          for (const t of sliceModel.tables) {
            const full = model.tables.find((x) => planTableName(x) === planTableName(t))!;
            const want = (await lines(await whole.readChunk({ table: full, range: FULL_RANGE, after: null, limit: null, filter: BY_HAND[planTableName(t)](k) }))).sort();
            const got = (await chunked(slice, t, 7)).sort();
            expect(got, `tenant ${k} ${planTableName(t)}`).toEqual(want);
            expect(await slice.count(t), `tenant ${k} ${planTableName(t)}`).toBe(want.length);
          }
        } finally {
          await slice.close();
        }
      }
    } finally {
      await whole.close();
    }
    const pool = await mssqlAdminPool(DB);
    try {
      const acc = await accountSource(async (q) => (await pool.request().query(q)).recordset as Record<string, unknown>[], mssqlSliceDialect, model, plan, TENANTS);
      const t = Object.fromEntries(acc.tables.map((x) => [x.table, x]));
      expect(t['dbo.Learners']).toMatchObject({ sourceRows: 101, noTenantRows: 1, unknownTenantRows: 40, twoTenantRows: 0, balanced: true, tenantRows: { 1: 10, 2: 20, 3: 30 } });
      expect(t['dbo.Attempts']).toMatchObject({ sourceRows: 606, noTenantRows: 6, unknownTenantRows: 240, balanced: true, tenantRows: { 1: 60, 2: 120, 3: 180 } });
      expect(acc.failures).toEqual([]);
    } finally {
      await pool.close();
    }
  }, 300_000);

  it('splits to three PostgreSQL databases in one wave: each target equals its slice, identities past the tenant\'s max, the wave accounts for every row', async () => {
    const env: TestWorkflowEnvironment = await startTemporal();
    let worker: WorkerProcess | undefined;
    try {
      const config = writeTestConfig({ servers: { ms: server(), target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 4 } } });
      worker = await startWorker(env.address, config);
      const [wave] = splitWaveManifests({ wavePrefix: 'ms-split', source: { server: 'ms', database: DB }, targetServer: 'target',
        targetDatabase: 'tmig_ms_split_t{tenant}', plan, tenants: TENANTS, phaseSize: 10,
        options: { maxConcurrentTenants: 3, chunkRows: 25, validation: 'full' } });
      const result: MigrationWaveResult = await env.client.workflow.execute('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-ms-split', args: [wave] });
      expect(result.failed).toEqual([]);
      const acc = result.splitAccounting![0];
      expect(acc).toMatchObject({ complete: true, knowsAllPhases: true, tenants: 3 });
      expect(acc.tables.find((t) => t.table === 'dbo.Attempts')).toMatchObject({ sourceRows: 606, waveTenantRows: 360, targetRows: 360, noTenantRows: 6, unknownTenantRows: 240 });
      for (const k of TENANTS) {
        const slice = new SliceSourceEngine(base(), { tenantKey: { value: k }, plan }, `tenant ${k}`);
        let learners: TableModel;
        try {
          const sliceModel = await slice.describe();
          learners = sliceModel.tables.find((t) => t.name === 'Learners')!;
          for (const t of sliceModel.tables) {
            const [a, b] = await Promise.all([lines(await slice.readChunk({ table: t, range: FULL_RANGE, after: null, limit: null })).then((x) => x.sort()), targetLines(dst(k), t)]);
            expect(b, `tenant ${k} ${planTableName(t)}`).toEqual(a);
            if (t.name !== 'Countries' && t.name !== 'Clients') expect(a.length, `tenant ${k} ${planTableName(t)}`).toBeGreaterThan(0);
          }
        } finally {
          await slice.close();
        }
        await withDb(dst(k), async (db) => {
          // The identity continues past the tenant's own max, not the shared database's.
          const rel = `"${learners.targetSchema}"."${learners.targetName}"`;
          const id = learners.columns.find((c) => c.name === 'Id')!.targetName;
          const r = await db.query<{ last: string; max: string }>(`SELECT pg_sequence_last_value(pg_get_serial_sequence('${rel}', '${id}')::regclass)::text AS last,
            (SELECT max("${id}") FROM ${rel})::text AS max`);
          expect(r.rows[0].last, `tenant ${k}`).toBe(r.rows[0].max);
          expect(Number(r.rows[0].max)).toBeLessThan(101);
          const fks = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated`);
          expect(fks.rows[0].n).toBe(5); // Learners to Clients and Countries, Enrollments, Attempts, Notes
        });
      }
    } finally {
      await worker?.stop();
      await env.teardown();
    }
  }, 600_000);
});
