import { Client } from 'pg';
import { createHash } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function dbUrl(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

export async function withDb<T>(database: string, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: dbUrl(database) });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

export async function dropDatabases(...names: string[]): Promise<void> {
  await withDb('postgres', async (db) => {
    for (const n of names) await db.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
  });
}

/** Full-content digest of every user table, rows sorted by their complete text form (independent of tmig's own code). */
export async function tableDigests(database: string): Promise<Record<string, { rows: number; digest: string }>> {
  return withDb(database, async (db) => {
    await db.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1`);
    const tables = await db.query<{ t: string }>(`SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', '_tmig')
      AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`);
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const { t } of tables.rows) {
      const stream = db.query(copyTo(`COPY (SELECT x::text FROM ${t} x ORDER BY x::text COLLATE "C") TO STDOUT`));
      const hash = createHash('sha256');
      let rows = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        for (const b of chunk as Buffer) if (b === 10) rows++;
      }
      out[t] = { rows, digest: hash.digest('hex') };
    }
    return out;
  });
}
