import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? process.env.TMIG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether the test PostgreSQL answers (checked synchronously, for describe.skipIf); warns loudly when not. */
export function postgresAvailable(what: string): boolean {
  const r = spawnSync('psql', [PG_ADMIN_URL, '-Atc', 'select 1'], { encoding: 'utf8', timeout: 10_000 });
  const ok = r.status === 0 && r.stdout.trim() === '1';
  if (!ok) console.warn(`\n*** SKIPPED: ${what} need PostgreSQL at ${PG_ADMIN_URL} (psql said: ${(r.stderr || r.error?.message || '').trim()}) ***\n`);
  return ok;
}

/** Creates a throw-away database named `<prefix>_<random>` and returns a connected client. */
export async function createTestDatabase(prefix: string): Promise<{ name: string; client: Client; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = '/' + name;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
  return {
    name,
    client,
    drop: async () => {
      await client.end().catch(() => undefined);
      const a = new Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}
