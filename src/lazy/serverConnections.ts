/**
 * Worker-side connections of the lazy migration: server names from the worker config resolved to a
 * MongoDB database and a MySQL pool, one per (server, database) per process. Secrets stay here.
 */
import type { Db, MongoClient } from 'mongodb';
import type { Pool } from 'mysql2/promise';
import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import { BadInputError } from '../contract/failures';
import { connectMongo } from '../engines/mongodb/connection';
import { createMysqlPool } from '../engines/mysql/connection';

const mongoClients = new Map<string, Promise<MongoClient>>();
const mysqlPools = new Map<string, Pool>();

function password(serverName: string, env?: string): string | undefined {
  if (!env) return undefined;
  const value = process.env[env];
  if (value === undefined) throw new BadInputError(`server "${serverName}": environment variable ${env} (passwordEnv) is not set`);
  return value;
}

export async function mongoDatabase(config: MigratorConfig, ref: { server: string; database: string }): Promise<Db> {
  const server = serverConfig(config, ref.server);
  if (server.kind !== 'mongodb') throw new BadInputError(`server "${ref.server}" is of kind ${server.kind}; the lazy migration's source must be mongodb`);
  let client = mongoClients.get(ref.server);
  if (!client) {
    client = connectMongo({ url: server.url, password: password(ref.server, server.passwordEnv) });
    mongoClients.set(ref.server, client);
    client.catch(() => mongoClients.delete(ref.server));
  }
  return (await client).db(ref.database);
}

export function mysqlPool(config: MigratorConfig, ref: { server: string; database: string }): Pool {
  const server = serverConfig(config, ref.server);
  if (server.kind !== 'mysql') throw new BadInputError(`server "${ref.server}" is of kind ${server.kind}; the lazy migration's target must be mysql`);
  const key = `${ref.server}/${ref.database}`;
  let pool = mysqlPools.get(key);
  if (!pool) {
    pool = createMysqlPool({ url: server.url, database: ref.database, password: password(ref.server, server.passwordEnv), connectionLimit: 8 });
    mysqlPools.set(key, pool);
  }
  return pool;
}

/**
 * Closes every cached MongoDB client and MySQL pool (worker shutdown): their sockets and timers
 * would otherwise keep the process alive after the workers stopped.
 */
export async function closeServerConnections(): Promise<void> {
  const clients = [...mongoClients.values()];
  const pools = [...mysqlPools.values()];
  mongoClients.clear();
  mysqlPools.clear();
  await Promise.all([
    ...clients.map(async (c) => (await c.catch(() => undefined))?.close()),
    ...pools.map((p) => p.end()),
  ]);
}
