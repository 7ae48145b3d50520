// Which TDS server a pool talks to: SQL Server, or Babelfish for PostgreSQL (a test endpoint that
// answers T-SQL but differs in catalogs and statements). Decided once per pool from @@VERSION.
import type sql from 'mssql';

export type ServerFlavor = 'sqlserver' | 'babelfish';

/** Both servers accept this; Babelfish's answer starts "Babelfish for PostgreSQL ...". */
export const FLAVOR_QUERY = `SELECT CAST(@@VERSION AS nvarchar(4000)) AS version`;

export function flavorFromVersion(version: string | null | undefined): ServerFlavor {
  return /babelfish/i.test(version ?? '') ? 'babelfish' : 'sqlserver';
}

export async function detectFlavor(pool: sql.ConnectionPool): Promise<ServerFlavor> {
  const r = await pool.request().query(FLAVOR_QUERY);
  return flavorFromVersion((r.recordset[0] as { version?: string } | undefined)?.version);
}
