import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, recreateDatabase, verifyRowCounts, withDb } from '../../bench/pg';

// Real PostgreSQL (127.0.0.1:5432): the harness's verification must catch a wrong copy.
const SRC = 'tmig_bench_verifytest_src';
const DST = 'tmig_bench_verifytest_dst';
const TABLES = `CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE "Mixed Case" (v text);`;

describe('verifyRowCounts', () => {
  beforeAll(async () => {
    await recreateDatabase(SRC);
    await recreateDatabase(DST);
    await withDb(SRC, (c) => c.query(`${TABLES} INSERT INTO a SELECT generate_series(1, 10); INSERT INTO "Mixed Case" VALUES ('x'), ('x');`));
  });

  afterAll(async () => {
    await dropDatabase(SRC);
    await dropDatabase(DST);
  });

  it('names a missing table', async () => {
    const r = await verifyRowCounts(SRC, DST);
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`${DST}: table public.a is missing`);
    expect(r.problems).toContain(`${DST}: table public.Mixed Case is missing`);
  });

  it('names a table whose row count differs, and passes an exact copy', async () => {
    await withDb(DST, (c) => c.query(`${TABLES} INSERT INTO a SELECT generate_series(1, 9); INSERT INTO "Mixed Case" VALUES ('x'), ('x');`));
    const short = await verifyRowCounts(SRC, DST);
    expect(short.problems).toEqual([`${DST}: table public.a has 9 rows, source ${SRC} has 10`]);
    await withDb(DST, (c) => c.query('INSERT INTO a VALUES (10)'));
    expect(await verifyRowCounts(SRC, DST)).toEqual({ ok: true, problems: [] });
  });

  it('refuses to drop a database outside the bench prefix', async () => {
    await expect(dropDatabase('postgres')).rejects.toThrow(/not prefixed tmig_bench_/);
  });
});
