import { Client } from 'pg';

/** Server the harness uses for sources and targets; override with BENCH_PG_URL (no password in it: use PGPASSWORD). */
export const SERVER_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database the harness creates starts with this, so cleanup never touches others' data. */
export const DB_PREFIX = 'tmig_bench_';

export function dbUrl(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

function assertOwned(database: string): void {
  if (!database.startsWith(DB_PREFIX)) throw new Error(`refusing to touch database "${database}": not prefixed ${DB_PREFIX}`);
}

export async function withDb<T>(database: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: dbUrl(database), application_name: 'tmig-bench' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function databaseExists(database: string): Promise<boolean> {
  return withDb('postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1);
}

export async function listDatabases(prefix: string): Promise<string[]> {
  return withDb('postgres', async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname", [prefix]))
      .rows.map((r) => r.datname));
}

export async function dropDatabase(database: string): Promise<void> {
  assertOwned(database);
  await withDb('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}

/** Drops then creates an empty database (optionally as a copy of a template). */
export async function recreateDatabase(database: string, template?: string): Promise<void> {
  assertOwned(database);
  await withDb('postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${quoteIdent(database)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`);
  });
}

export interface TableInfo {
  schema: string;
  name: string;
  /** schema.name, quoted for SQL. */
  qualified: string;
  /** Heap + TOAST bytes (what is copied; indexes are rebuilt, not copied). */
  bytes: number;
}

/** User tables of a database (ordinary tables in non-system schemas), biggest first. */
export async function listTables(client: Client, excludeNames: string[] = []): Promise<TableInfo[]> {
  const res = await client.query<{ schema: string; name: string; bytes: string }>(`
    SELECT n.nspname AS schema, c.relname AS name, pg_table_size(c.oid)::text AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT (c.relname = ANY($1))
     ORDER BY pg_table_size(c.oid) DESC, 1, 2`, [excludeNames]);
  return res.rows.map((r) => ({
    schema: r.schema, name: r.name, qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`, bytes: Number(r.bytes),
  }));
}

/**
 * The tables that hold rows, as pg_dump copies them: plain tables and leaf partitions, never a
 * partitioned parent (COPY cannot read one directly). Biggest first.
 */
export async function listLeafTables(client: Client): Promise<TableInfo[]> {
  const res = await client.query<{ schema: string; name: string; bytes: string }>(`
    SELECT n.nspname AS schema, c.relname AS name, pg_table_size(c.oid)::text AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY pg_table_size(c.oid) DESC, 1, 2`);
  return res.rows.map((r) => ({
    schema: r.schema, name: r.name, qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`, bytes: Number(r.bytes),
  }));
}

export async function countRows(client: Client, qualified: string): Promise<number> {
  const res = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
  return Number(res.rows[0].n);
}

export interface Verification {
  ok: boolean;
  /** What differs, naming the table; empty when ok. */
  problems: string[];
}

/**
 * Row counts of every source table compared with the same schema.table in the target.
 * Tables named in `ignoreInTarget` (the tool's own bookkeeping) are not required in the source.
 */
export async function verifyRowCounts(source: string, target: string, opts: { exclude?: string[] } = {}): Promise<Verification> {
  const problems: string[] = [];
  await withDb(source, (src) => withDb(target, async (dst) => {
    const tables = await listTables(src, opts.exclude);
    const present = new Set((await listTables(dst)).map((t) => t.qualified));
    for (const t of tables) {
      if (!present.has(t.qualified)) {
        problems.push(`${target}: table ${t.schema}.${t.name} is missing`);
        continue;
      }
      const [a, b] = [await countRows(src, t.qualified), await countRows(dst, t.qualified)];
      if (a !== b) problems.push(`${target}: table ${t.schema}.${t.name} has ${b} rows, source ${source} has ${a}`);
    }
  }));
  return { ok: problems.length === 0, problems };
}

export async function serverVersion(): Promise<string> {
  return withDb('postgres', async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v);
}
