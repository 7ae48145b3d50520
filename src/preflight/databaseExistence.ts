/**
 * Which of a list of databases exist on a configured server, in one catalog query per server
 * (PostgreSQL `pg_database`, SQL Server `sys.databases`). Used by preflight; reads nothing else.
 */
import type { ServerConfig } from '../config/configSchema';
import { connectPg } from '../engines/postgres/connection';

export async function listExistingDatabases(serverName: string, server: ServerConfig, databases: string[]): Promise<Set<string>> {
  if (server.kind === 'postgres') {
    // The maintenance database named in the server's url (postgres by default).
    const maintenance = decodeURIComponent(new URL(server.url).pathname.replace(/^\//, '')) || 'postgres';
    const client = await connectPg({ serverName, server, database: maintenance }, { role: 'admin', appName: 'tmig-preflight' });
    try {
      const r = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1::text[])', [databases]);
      return new Set(r.rows.map((x) => x.datname));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const { openPool } = await import('../engines/mssql/connection');
  const pool = await openPool(serverName, server, 'master');
  try {
    const found = new Set<string>();
    // Parameters in batches (SQL Server allows 2100 per request); no OPENJSON, so 2008 works too.
    for (let at = 0; at < databases.length; at += 1000) {
      const batch = databases.slice(at, at + 1000);
      const request = pool.request();
      batch.forEach((name, i) => request.input(`n${i}`, name));
      const r = await request.query<{ name: string }>(`SELECT name FROM sys.databases WHERE name IN (${batch.map((_, i) => `@n${i}`).join(', ')})`);
      for (const row of r.recordset) found.add(row.name);
    }
    return found;
  } finally {
    await pool.close().catch(() => undefined);
  }
}
