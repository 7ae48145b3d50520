/** Real servers for lazy-migration tests: FerretDB (or MONGO_URL) and a fresh MySQL database (MYSQL_URL or local MariaDB). */
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { createMysqlPool, type Pool } from '../../src/engines/mysql/connection';
import { startMongoServer, type MongoServer } from '../../src/engines/mongodb/ferretServer';

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface LazyServers {
  mongoServer: MongoServer;
  mongoClient: MongoClient;
  mongo: Db;
  mongoDatabase: string;
  mysql: Pool;
  mysqlDatabase: string;
  stop(): Promise<void>;
}

/** A unique suffix per test run, so parallel runs never share a database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

export async function startLazyServers(label: string): Promise<LazyServers> {
  const mongoServer = await startMongoServer(`ferretdb-${label}`);
  const mongoClient = await MongoClient.connect(mongoServer.url);
  // TMIG_LAZY_TEST_DB_PREFIX: engineers sharing one MariaDB tell their databases apart by prefix.
  const mongoDatabase = uniqueName(`${process.env.TMIG_LAZY_TEST_DB_PREFIX ?? 'tmig_lazy'}_${label}`);
  const mysqlDatabase = mongoDatabase;
  const admin = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`CREATE DATABASE \`${mysqlDatabase}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const mysql = createMysqlPool({ url: MYSQL_URL, database: mysqlDatabase, connectionLimit: 12 });
  return {
    mongoServer, mongoClient, mongo: mongoClient.db(mongoDatabase), mongoDatabase, mysql, mysqlDatabase,
    async stop() {
      await mysql.end();
      const a = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
      await a.query(`DROP DATABASE IF EXISTS \`${mysqlDatabase}\``);
      await a.end();
      await mongoClient.db(mongoDatabase).dropDatabase().catch(() => undefined);
      await mongoClient.close();
      await mongoServer.stop();
    },
  };
}
