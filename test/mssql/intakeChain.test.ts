import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { to as copyTo } from 'pg-copy-streams';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { minioPath, startMinio, type MinioServer } from '../helpers/minio';
import { zipBuffer } from '../helpers/fixtureArchives';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createDatabaseFromScript, dropDatabase, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';
import { scriptDoubleBackup } from '../../src/engines/mssql/scriptRestoreDouble';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { FULL_RANGE } from '../../src/engines/sourceEngine';
import { CANONICAL_SESSION_SETTINGS } from '../../src/engines/copyText';
import type { IntakeScanInput, IntakeScanTotals } from '../../src/contract/backupIntake';
import type { TenantMigrationResult } from '../../src/contract/migration';
import type { TableModel } from '../../src/engines/schemaModel';

/**
 * The intake chain end to end with real parts: a zipped backup uploaded to MinIO -> the intakeScan
 * workflow -> tenantMigration on a real worker process -> stage (download from S3, extract, locate the
 * .bak, header check) -> restore -> copy -> full validation -> report -> drop of the restored source.
 * Only the restore is a double: Babelfish has no RESTORE, so the server's config selects
 * `restore: "scriptRestoreDouble"`, which builds the database from the T-SQL script the stand-in .bak
 * carries. The real RESTORE statements are covered by test/mssql/restore.test.ts.
 */
const MSSQL_URL = mssqlUrlOrSkip('SQL Server intake chain (test/mssql/intakeChain.test.ts)');
const haveMinio = !!minioPath();
if (MSSQL_URL && !haveMinio) console.warn('\n*** SKIPPED: SQL Server intake chain: no MinIO in the tool cache (npm run setup) ***\n');

const TENANT = 'shop7';
const restored = `tmig_ms_intake_${TENANT}`;
const reference = 'tmig_ms_intake_reference';
const target = `tmig_ms_intake_dst_${TENANT}`;
const bucket = 'uploads';

async function lines(stream: AsyncIterable<unknown>): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).sort();
}

async function targetLines(table: TableModel): Promise<string[]> {
  return withDb(target, async (db) => {
    for (const [k, v] of Object.entries(CANONICAL_SESSION_SETTINGS)) await db.query(`SET ${k} = '${v}'`);
    const cols = table.columns.filter((c) => !c.generated).map((c) => `"${c.targetName.replace(/"/g, '""')}"`).join(', ');
    return lines(db.query(copyTo(`COPY (SELECT ${cols} FROM "${table.targetSchema}"."${table.targetName}") TO STDOUT`)));
  });
}

describe.skipIf(!MSSQL_URL || !haveMinio)('SQL Server intake chain: MinIO -> scan -> stage -> restore (script double) -> copy -> validate -> report', () => {
  let admin: sql.ConnectionPool;
  let env: TestWorkflowEnvironment;
  let minio: MinioServer;
  let worker: WorkerProcess;
  let backupShare: string;
  // shop.sql with its random product GUIDs made deterministic, so a second build of it is the same data.
  const script = readFileSync(join(__dirname, 'tenants', 'shop.sql'), 'utf8')
    .replace('SELECT NEWID(), ', "SELECT CAST(RIGHT('00000000' + CAST(k AS varchar(10)), 8) + '-0000-4000-8000-000000000000' AS uniqueidentifier), ");

  beforeAll(async () => {
    expect(script).not.toMatch(/NEWID\(\)/i);
    admin = await mssqlAdminPool();
    await dropDatabase(admin, restored);
    // The same script built directly: what the restored tenant must equal after the chain dropped its source.
    await createDatabaseFromScript(admin, reference, script);
    await dropDatabases(target);
    [env, minio] = await Promise.all([startTemporal(), startMinio()]);
    const s3 = minio.client();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: `${TENANT}/SHOP_20260101.zip`,
      Body: zipBuffer([
        { name: 'SHOP_20260101/readme.txt', data: Buffer.from('nightly backup'), deflate: true },
        { name: 'SHOP_20260101/SHOP.bak', data: scriptDoubleBackup(script), deflate: true },
      ]),
    }));
    backupShare = mkdtempSync(join(tmpdir(), 'tmig-intake-share-'));
    const config = writeTestConfig({
      servers: {
        ms: mssqlServerConfig('TMIG_INTAKE_MSSQL_PASSWORD', { restore: 'scriptRestoreDouble', backupDir: { worker: backupShare, server: backupShare } }),
        target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 4 },
      },
      s3: { endpoint: minio.endpoint, forcePathStyle: true, accessKeyIdEnv: 'TMIG_INTAKE_S3_KEY', secretAccessKeyEnv: 'TMIG_INTAKE_S3_SECRET' },
    });
    worker = await startWorker(env.address, config, { TMIG_INTAKE_S3_KEY: minio.accessKeyId, TMIG_INTAKE_S3_SECRET: minio.secretAccessKey });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await minio?.stop();
    if (admin) {
      for (const db of [restored, reference]) await dropDatabase(admin, db).catch(() => undefined);
      await admin.close();
    }
    await dropDatabases(target);
  });

  it('an uploaded backup becomes a validated PostgreSQL tenant equal to its source', async () => {
    const totals = await env.client.workflow.execute('intakeScan', {
      workflowId: 'scan-ms-intake', taskQueue: 'migrations',
      args: [{
        bucket, prefix: '', tenantPattern: '^(?<tenant>[^/]+)/',
        source: { server: 'ms' }, target: { server: 'target', databaseTemplate: 'tmig_ms_intake_dst_{tenant}' },
        restoreDatabaseTemplate: 'tmig_ms_intake_{tenant}', options: { validation: 'full' },
      } satisfies IntakeScanInput],
    }) as IntakeScanTotals;
    expect(totals).toMatchObject({ matched: 1, started: 1 });

    const result = await env.client.workflow.getHandle(totals.startedIds[0]).result() as TenantMigrationResult;
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(result.validation?.ok).toBe(true);
    expect(result.validation!.tables.length).toBeGreaterThanOrEqual(3);
    expect(result.validation!.tables.every((t) => t.checksumOk && t.sourceRows === t.targetRows && t.sourceRows > 0)).toBe(true);
    expect(result.reportPath && existsSync(result.reportPath)).toBe(true);
    expect(readFileSync(result.reportPath!.replace(/\.html$/, '.json'), 'utf8')).toContain(TENANT);

    // The chain cleaned up after success: the restored source is dropped, the placed .bak removed.
    const gone = await admin.request().query(`SELECT DB_ID(N'${restored}') AS id`);
    expect(gone.recordset[0].id).toBeNull();
    expect(readdirSync(backupShare, { recursive: true }).filter((f) => String(f).endsWith('.bak'))).toEqual([]);

    // Every table of the target equals the same script built directly, row by row in canonical text.
    const engine = new MssqlSourceEngine({ serverName: 'ms', server: mssqlServerConfig('TMIG_INTAKE_MSSQL_PASSWORD'), database: reference });
    try {
      const model = await engine.describe();
      expect(model.tables.map((t) => t.name).sort()).toEqual(result.validation!.tables.map((t) => t.table.split('.').pop()).sort());
      for (const table of model.tables) {
        const [a, b] = await Promise.all([lines(await engine.readChunk({ table, range: FULL_RANGE, after: null, limit: null })), targetLines(table)]);
        expect(a.length, table.name).toBeGreaterThan(0);
        expect(b, table.name).toEqual(a);
      }
    } finally {
      await engine.close();
    }
  }, 240_000);
});
