import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestConfig } from '../helpers/worker';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { resetConfigCache } from '../../src/config/loadConfig';
import { prepareTarget, describeSource } from '../../src/activities/prepareTarget';
import { createSchema, applyPostData } from '../../src/activities/applySchema';
import { planCopy } from '../../src/activities/planCopy';
import { copySmallTables } from '../../src/activities/copySmallTables';
import { closeIdleSessions } from '../../src/engines/postgres/sessionPool';
import type { TenantRef } from '../../src/contract/tenantRef';

const SRC = 'tmig_small_batch_src';
const DST = 'tmig_small_batch_dst';
const DST_TEXT = 'tmig_small_batch_dst_text';

describe('small tables copied several per activity call', () => {
  const previous = process.env.MIGRATOR_CONFIG;
  const t: TenantRef = { tenantId: 'small-batch', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST } };

  beforeAll(async () => {
    process.env.MIGRATOR_CONFIG = writeTestConfig();
    resetConfigCache();
    await dropDatabases(SRC, DST, DST_TEXT);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`
      CREATE TABLE a (id int PRIMARY KEY, v text);
      INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 2500) g;
      CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id), at timestamptz);
      INSERT INTO b SELECT g, 1 + g % 2500, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 1200) g;
      CREATE TABLE c (note text);  -- no key: one transaction, restarted whole
      INSERT INTO c SELECT 'c' || g FROM generate_series(1, 300) g;
      CREATE INDEX b_at ON b (at);
      ANALYZE;`));
  });

  afterAll(async () => {
    await closeIdleSessions();
    await dropDatabases(SRC, DST, DST_TEXT);
    if (previous === undefined) delete process.env.MIGRATOR_CONFIG;
    else process.env.MIGRATOR_CONFIG = previous;
    resetConfigCache();
  });

  it('copies every table exactly once across budget stops and a repeated call, then post-data from the stored plan', async () => {
    expect(await prepareTarget(t)).toBe('new');
    await describeSource(t);
    await createSchema(t);
    const items = await planCopy(t, { splitRowsThreshold: 1_000_000, rangesPerTable: 1 });
    expect(items).toHaveLength(3);
    const batch = items.map((i) => ({ table: i.table, rangeId: i.rangeId }));

    // A budget already spent: one chunk of the first table, then the call returns.
    const first = await copySmallTables(t, { items: batch, chunkRows: 1000, budgetMs: 0 });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ table: batch[0].table, done: false, rowsThisCall: 1000 });

    // The next call resumes from the stored checkpoints and finishes the batch.
    const rest = await copySmallTables(t, { items: batch, chunkRows: 1000, budgetMs: 60_000 });
    expect(rest.map((r) => r.done)).toEqual([true, true, true]);
    expect(rest[0].resumedAtRows).toBe(1000);

    // A retried call (e.g. after a lost completion) writes nothing again.
    const again = await copySmallTables(t, { items: batch, chunkRows: 1000, budgetMs: 60_000 });
    expect(again.map((r) => r.rowsThisCall)).toEqual([0, 0, 0]);

    // Post-data from the plan stored with the pre-data (one dump): the keys, FK and index exist.
    await withDb(SRC, (db) => db.query('CREATE INDEX added_after_schema ON a (v)'));
    await applyPostData(t, 2);
    const indexes = await withDb(DST, (db) => db.query<{ n: string }>(`SELECT indexname AS n FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`));
    expect(indexes.rows.map((r) => r.n)).toEqual(['a_pkey', 'b_at', 'b_pkey']);
    const fks = await withDb(DST, (db) => db.query(`SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conname = 'b_a_id_fkey'`));
    expect(fks.rowCount).toBe(1);

    await withDb(SRC, (db) => db.query('DROP INDEX added_after_schema'));
    expect(await tableDigests(DST)).toEqual(await tableDigests(SRC));
    const chunks = await withDb(DST, (db) => db.query<{ table_name: string; n: number }>(
      `SELECT table_name, count(*)::int AS n FROM _tmig.chunk GROUP BY 1 ORDER BY 1`));
    expect(chunks.rows).toEqual([{ table_name: 'public.a', n: 3 }, { table_name: 'public.b', n: 2 }, { table_name: 'public.c', n: 1 }]);
  });

  it('copies keyed tables of built-in types as binary COPY, and as canonical text with copyFormat: text', async () => {
    const kinds = async (db: string) => (await withDb(db, (c) => c.query<{ t: string; k: string }>(
      `SELECT DISTINCT table_name AS t, checksum_kind AS k FROM _tmig.chunk ORDER BY 1`))).rows;
    // The default run above: both keyed tables binary, the keyless one text (order-independent checksum).
    expect(await kinds(DST)).toEqual([{ t: 'public.a', k: 'ordered-sha256-binary' }, { t: 'public.b', k: 'ordered-sha256-binary' },
      { t: 'public.c', k: 'multiset-sha256' }]);
    const text: TenantRef = { ...t, tenantId: 'small-batch-text', target: { server: 'target', database: DST_TEXT }, options: { copyFormat: 'text' } };
    expect(await prepareTarget(text)).toBe('new');
    await describeSource(text);
    await createSchema(text);
    const items = await planCopy(text, { splitRowsThreshold: 1_000_000, rangesPerTable: 1 });
    const done = await copySmallTables(text, { items: items.map((i) => ({ table: i.table, rangeId: i.rangeId })), chunkRows: 1000, budgetMs: 60_000 });
    expect(done.map((r) => r.done)).toEqual([true, true, true]);
    expect(await kinds(DST_TEXT)).toEqual([{ t: 'public.a', k: 'ordered-sha256' }, { t: 'public.b', k: 'ordered-sha256' }, { t: 'public.c', k: 'multiset-sha256' }]);
    // The same rows either way.
    expect(await tableDigests(DST_TEXT)).toEqual(await tableDigests(DST));
  });
});
