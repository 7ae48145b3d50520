import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import type { SchemaModel } from '../engines/schemaModel';
import { openSource } from '../config/openEngines';
import { connectPg } from '../engines/postgres/connection';
import type { RunQuery } from './accounting';
import { sliceDialect, type SliceDialect } from './sliceSql';

/**
 * The shared database as the split CLI sees it: its described schema and a way to run the
 * accounting and tenant-list queries on it (PostgreSQL and SQL Server), by server name from the
 * worker config. Never logs a connection string.
 */
export interface SharedSource {
  dialect: SliceDialect;
  describe(): Promise<SchemaModel>;
  query: RunQuery;
  close(): Promise<void>;
}

export async function openSharedSource(config: MigratorConfig, ref: { server: string; database: string }): Promise<SharedSource> {
  const server = serverConfig(config, ref.server);
  const engine = await openSource(config, ref);
  const closers: (() => Promise<unknown>)[] = [() => engine.close()];
  let query: RunQuery;
  if (server.kind === 'postgres') {
    const db = await connectPg({ serverName: ref.server, server, database: ref.database }, { role: 'source', appName: 'tmig-split' });
    closers.push(() => db.end());
    query = async (sql) => (await db.query(sql)).rows as Record<string, unknown>[];
  } else {
    const { openPool } = await import('../engines/mssql/connection');
    const pool = await openPool(ref.server, server, ref.database);
    closers.push(() => pool.close());
    query = async (sql) => (await pool.request().query(sql)).recordset as Record<string, unknown>[];
  }
  return {
    dialect: sliceDialect(server.kind),
    describe: () => engine.describe(),
    query,
    close: async () => { for (const c of closers) await c().catch(() => undefined); },
  };
}
