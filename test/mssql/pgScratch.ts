import { Client } from 'pg';
import { CANONICAL_SESSION_SETTINGS } from '../../src/engines/copyText';

/** Scratch PostgreSQL databases for the mssql tests (names prefixed tmig_mssql_, dropped after). */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? process.env.TMIG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createScratchDb(suffix: string): Promise<{ client: Client; name: string; drop: () => Promise<void> }> {
  const name = `tmig_mssql_${suffix}_${process.pid}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = '/' + name;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  for (const [k, v] of Object.entries(CANONICAL_SESSION_SETTINGS)) await client.query(`SET ${k} = '${v}'`);
  return {
    client, name,
    drop: async () => {
      await client.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A canonical-session connection to the admin database (for casts only). */
export async function canonicalClient(): Promise<Client> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  for (const [k, v] of Object.entries(CANONICAL_SESSION_SETTINGS)) await client.query(`SET ${k} = '${v}'`);
  return client;
}
