/**
 * The schema dump started ahead (describe starts it, create schema uses it): the next
 * dumpSections of the same database takes that dump, once; the one after dumps afresh. Real
 * PostgreSQL and the real pg_dump.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSections, dumpSectionsAhead } from '../../src/engines/postgres/pgDump';
import type { PgEndpoint } from '../../src/engines/postgres/connection';
import { PG_ADMIN_URL, dbUrl, dropDatabases, withDb } from '../helpers/pg';
import { Client } from 'pg';

const db = 'tmig_dump_ahead';

describe('schema dump started ahead', () => {
  const ep: PgEndpoint = { serverName: 'local', server: { url: dbUrl(db) }, database: db };

  beforeAll(async () => {
    await dropDatabases(db);
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    await withDb(db, (c) => c.query('CREATE TABLE first_table (id int PRIMARY KEY)'));
  });
  afterAll(() => dropDatabases(db));

  it('is used by the next dump of the same database only, and only once', async () => {
    dumpSectionsAhead(ep);
    // pg_dump takes its snapshot within well under a second here; the table created after that is not in it.
    await new Promise((r) => setTimeout(r, 5_000));
    await withDb(db, (c) => c.query('CREATE TABLE later_table (id int PRIMARY KEY)'));
    const taken = await dumpSections(ep);
    expect(taken.preData).toContain('first_table');
    expect(taken.preData).not.toContain('later_table');
    const fresh = await dumpSections(ep);
    expect(fresh.preData).toContain('later_table');
    expect(fresh.postData).toContain('later_table_pkey');
  }, 60_000);

  it('a failed dump ahead reaches its user as the failure (named database), and the next call dumps again', async () => {
    const name = 'tmig_dump_ahead_missing';
    const missing: PgEndpoint = { ...ep, server: { url: dbUrl(name) }, database: name };
    await dropDatabases(name);
    dumpSectionsAhead(missing);
    await expect(dumpSections(missing)).rejects.toThrow(/tmig_dump_ahead_missing.*does not exist/);
    // The failure is not kept: once the database exists, the next call dumps it.
    await withDb('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
    try {
      await withDb(name, (c) => c.query('CREATE TABLE now_there (id int)'));
      expect((await dumpSections(missing)).preData).toContain('now_there');
    } finally {
      await dropDatabases(name);
    }
  }, 60_000);
});
