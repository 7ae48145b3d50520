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

/**
 * Restarts the PostgreSQL cluster TEST_PG_URL points at, and no other: the cluster is asked for its
 * own data directory and config file. A Debian cluster (config under /etc/postgresql/<version>/<name>,
 * the CI's main cluster on 5432) restarts with pg_ctlcluster; any other (a sandbox) with pg_ctl -D.
 */
export async function restartTestCluster(): Promise<string> {
  const s = await withDb('postgres', (db) => db.query<{ dir: string; conf: string; major: number; port: string }>(
    `SELECT current_setting('data_directory') AS dir, current_setting('config_file') AS conf,
      current_setting('server_version_num')::int / 10000 AS major, current_setting('port') AS port`)).then((r) => r.rows[0]);
  const asPostgres = process.getuid?.() === 0;
  const debian = /^\/etc\/postgresql\/(\d+)\/([^/]+)\/postgresql\.conf$/.exec(s.conf);
  const cmd = debian
    ? `pg_ctlcluster --skip-systemctl-redirect -m fast ${debian[1]} ${debian[2]} restart`
    // -l: the server's output must not hold this process's pipe open.
    : `/usr/lib/postgresql/${s.major}/bin/pg_ctl -D '${s.dir}' -m fast -w -t 120 restart -l '${s.dir}/log'`;
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    const [file, args] = asPostgres && !debian ? ['su', ['postgres', '-c', cmd]] : ['sh', ['-c', cmd]];
    execFile(file, args, { timeout: 180_000 }, (err, _out, stderr) => (err ? reject(new Error(`restart of the cluster on port ${s.port} failed: ${stderr || err.message}`)) : resolve()));
  });
  // Accepting connections again (pg_ctl -w waits; pg_ctlcluster too, but be sure).
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await withDb('postgres', (db) => db.query('SELECT 1'));
      return `port ${s.port} (${s.dir})`;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
