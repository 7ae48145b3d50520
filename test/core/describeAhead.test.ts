/**
 * Prepare starts the source's description; describe takes it (once, on the same worker), so the
 * catalog is read while the target database is created. Real PostgreSQL, the real activities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestConfig } from '../helpers/worker';
import { dropDatabases, withDb } from '../helpers/pg';
import { resetConfigCache } from '../../src/config/loadConfig';
import { prepareTarget, describeSource } from '../../src/activities/prepareTarget';
import { describeAhead, takeDescribedAhead } from '../../src/activities/describeAhead';
import { closeIdleSessions } from '../../src/engines/postgres/sessionPool';
import type { TenantRef } from '../../src/contract/tenantRef';

const SRC = 'tmig_describe_ahead_src';
const DST = 'tmig_describe_ahead_dst';
const DST2 = 'tmig_describe_ahead_dst2';

describe('source description started by prepare', () => {
  const previous = process.env.MIGRATOR_CONFIG;
  const t: TenantRef = { tenantId: 'describe-ahead', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST } };

  beforeAll(async () => {
    process.env.MIGRATOR_CONFIG = writeTestConfig();
    resetConfigCache();
    await dropDatabases(SRC, DST, DST2);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query('CREATE TABLE first_table (id int PRIMARY KEY, v text); INSERT INTO first_table VALUES (1, \'x\')'));
  });

  afterAll(async () => {
    await closeIdleSessions();
    await dropDatabases(SRC, DST, DST2);
    if (previous === undefined) delete process.env.MIGRATOR_CONFIG;
    else process.env.MIGRATOR_CONFIG = previous;
    resetConfigCache();
  });

  it('is taken by the describe that follows, once', async () => {
    expect(await prepareTarget(t)).toBe('new');
    // The description started by prepare is done well within this; a table created afterwards is not in it.
    await new Promise((r) => setTimeout(r, 3_000));
    await withDb(SRC, (db) => db.query('CREATE TABLE later_table (id int PRIMARY KEY)'));
    const described = await describeSource(t);
    expect(described.tables.map((x) => x.table)).toEqual(['public.first_table']);
    expect(takeDescribedAhead(t)).toBeUndefined(); // used once
    await withDb(SRC, (db) => db.query('DROP TABLE later_table'));
  }, 60_000);

  it('a failed description started ahead is not the answer: describe reads the source again', async () => {
    const other: TenantRef = { ...t, target: { server: 'target', database: DST2 } };
    expect(await prepareTarget(other)).toBe('new');
    takeDescribedAhead(other); // drop prepare's, and put a failed one in its place
    describeAhead(other, () => Promise.reject(new Error('connection reset while describing')));
    const described = await describeSource(other);
    expect(described.tables.map((x) => x.table)).toEqual(['public.first_table']);
  }, 60_000);
});
