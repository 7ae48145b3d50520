import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

export const PG_ADMIN_URL = process.env.TMIG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether the test PostgreSQL answers; tests skip loudly when it does not. */
export async function postgresAvailable(): Promise<boolean> {
  const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
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
