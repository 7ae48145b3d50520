// The TDS endpoint the SQL Server suites run against (set by test/globalSetup.ts or by the
// operator), as a server config plus an admin pool; says loudly when a suite must skip.
import sql from 'mssql';
import type { MssqlServerConfig as ServerConfig } from '../../src/engines/mssql/serverConfig';

export const MSSQL_URL = process.env.MSSQL_URL;

/** Call at the top of a SQL Server suite: prints a loud skip line when no endpoint is configured. */
export function mssqlUrlOrSkip(suite: string): string | undefined {
  if (!MSSQL_URL) {
    console.warn(`\n*** SKIPPED: ${suite}: no SQL Server endpoint. Set MSSQL_URL=mssql://user:password@host:1433/master?encrypt=false&trustServerCertificate=true, or keep ../shared/tools/babelfish beside the checkout ***\n`);
  }
  return MSSQL_URL;
}

/** A worker-config server entry for the endpoint; the password goes into `passwordEnv`, never the URL. */
export function mssqlServerConfig(passwordEnv = 'TMIG_TEST_MSSQL_PASSWORD', extra: Partial<ServerConfig> = {}): ServerConfig {
  const url = new URL(MSSQL_URL!);
  process.env[passwordEnv] = decodeURIComponent(url.password);
  url.password = '';
  return { kind: 'mssql', url: url.toString(), passwordEnv, maxConcurrency: 4, ...extra } as ServerConfig;
}

export async function mssqlAdminPool(database = 'master'): Promise<sql.ConnectionPool> {
  const url = new URL(MSSQL_URL!);
  const pool = new sql.ConnectionPool({
    server: url.hostname, port: Number(url.port || 1433), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
    database, requestTimeout: 600_000,
    options: { encrypt: url.searchParams.get('encrypt') !== 'false', trustServerCertificate: url.searchParams.get('trustServerCertificate') === 'true' },
  });
  await pool.connect();
  pool.on('error', () => undefined);
  return pool;
}

/** Babelfish or SQL Server (from @@VERSION). */
export async function isBabelfish(pool: sql.ConnectionPool): Promise<boolean> {
  const r = await pool.request().query('SELECT CAST(@@VERSION AS nvarchar(4000)) AS v');
  return /babelfish/i.test(String(r.recordset[0].v));
}

/** Drops a database if it exists (SQL Server first closes other sessions; Babelfish cannot ALTER DATABASE). */
export async function dropDatabase(pool: sql.ConnectionPool, name: string): Promise<void> {
  const q = name.replace(/]/g, ']]');
  if (await isBabelfish(pool)) {
    await pool.request().batch(`IF DB_ID(N'${name.replace(/'/g, "''")}') IS NOT NULL DROP DATABASE [${q}]`);
  } else {
    // In its own batch: a batch naming ALTER DATABASE is refused by Babelfish's parser even in a dead branch.
    await pool.request().batch(`IF DB_ID(N'${name.replace(/'/g, "''")}') IS NOT NULL BEGIN ALTER DATABASE [${q}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${q}]; END`);
  }
}

/** Runs a T-SQL script split on `GO` lines in a fresh database `name` (dropped first if present). */
export async function createDatabaseFromScript(admin: sql.ConnectionPool, name: string, script: string): Promise<void> {
  await dropDatabase(admin, name);
  await admin.request().batch(`CREATE DATABASE [${name.replace(/]/g, ']]')}]`);
  const db = await mssqlAdminPool(name);
  try {
    for (const batch of script.split(/^\s*GO\s*$/im)) {
      if (!batch.trim()) continue;
      try {
        await db.request().batch(batch);
      } catch (err) {
        throw new Error(`database ${name}: batch failed: ${(err as Error).message}\n${batch.slice(0, 400)}`);
      }
    }
  } finally {
    await db.close();
  }
}
