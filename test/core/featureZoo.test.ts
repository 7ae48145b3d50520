import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

const SRC = 'tmig_zoo_src';
const DST = 'tmig_zoo_dst';
const LO_SRC = 'tmig_zoo_lo';
const LO_DST = 'tmig_zoo_lo_dst';
const RLS_SRC = 'tmig_zoo_rls';
const RLS_DST = 'tmig_zoo_rls_dst';
const READER = 'tmig_zoo_reader';

/** PostgreSQL features real databases use, all in one source: each must arrive exactly. */
const ZOO = `
-- Pre-PG10 inheritance: multi-level, a child with an extra column, a keyless grandchild, a keyless parent.
CREATE TABLE measurement (id int PRIMARY KEY, city text NOT NULL, logdate date NOT NULL, peak int);
CREATE TABLE measurement_y2020 (note text, CHECK (logdate >= '2020-01-01')) INHERITS (measurement);
ALTER TABLE measurement_y2020 ADD PRIMARY KEY (id);
CREATE TABLE measurement_y2020_q1 (CHECK (logdate < '2020-04-01')) INHERITS (measurement_y2020);
INSERT INTO measurement SELECT g, 'city' || g, date '2019-01-01' + g, g FROM generate_series(1, 50) g;
INSERT INTO measurement_y2020 SELECT g, 'c' || g, date '2020-06-01', g, 'n' || g FROM generate_series(1001, 1060) g;
INSERT INTO measurement_y2020_q1 SELECT g, 'q' || g, date '2020-02-01', g, 'q1' FROM generate_series(2001, 2030) g;
CREATE TABLE event_log (at timestamptz NOT NULL, msg text);
CREATE TABLE event_log_2020 () INHERITS (event_log);
INSERT INTO event_log SELECT timestamptz '2019-01-01' + g * interval '1 h', 'e' || g FROM generate_series(1, 20) g;
INSERT INTO event_log_2020 SELECT timestamptz '2020-01-01' + g * interval '1 h', 'f' || g FROM generate_series(1, 30) g;
-- A table without columns: its row count is its content.
CREATE TABLE marker ();
INSERT INTO marker SELECT FROM generate_series(1, 7);
-- Unlogged, with a text key under a non-default (ICU) collation whose order differs from binary order.
CREATE UNLOGGED TABLE session_cache (token text COLLATE "und-x-icu" PRIMARY KEY, payload jsonb);
INSERT INTO session_cache SELECT (ARRAY['a', 'B', 'é', 'Z', 'b', 'A'])[1 + g % 6] || g, jsonb_build_object('g', g) FROM generate_series(1, 300) g;
-- Identity (ALWAYS) and a stored generated column.
CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, price numeric(10,2) NOT NULL, qty int NOT NULL,
  total numeric GENERATED ALWAYS AS (price * qty) STORED);
INSERT INTO items (price, qty) SELECT g / 10.0, g % 7 FROM generate_series(1, 120) g;
-- A domain over an array.
CREATE DOMAIN small_ints AS int[] CHECK (cardinality(VALUE) <= 5);
CREATE TABLE lists (id int PRIMARY KEY, vals small_ints);
INSERT INTO lists SELECT g, ARRAY[g, g + 1, g + 2]::small_ints FROM generate_series(1, 40) g;
-- An exclusion constraint.
CREATE TABLE reservations (id int PRIMARY KEY, during tsrange NOT NULL, EXCLUDE USING gist (during WITH &&));
INSERT INTO reservations SELECT g, tsrange(timestamp '2024-01-01' + g * interval '1 day', timestamp '2024-01-01' + (g + 1) * interval '1 day')
  FROM generate_series(1, 60) g;
-- Row-level security, forced, with a policy that hides half the rows from their non-owners.
CREATE TABLE secrets (id int PRIMARY KEY, owner name NOT NULL, body text);
INSERT INTO secrets SELECT g, CASE WHEN g % 2 = 0 THEN 'postgres' ELSE 'someone_else' END, 's' || g FROM generate_series(1, 30) g;
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON secrets USING (owner = current_user);
`;

describe('feature zoo: every PostgreSQL feature migrates exactly or is refused before the copy', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  const run = (i: TenantMigrationInput, id: string) =>
    env.client.workflow.execute('tenantMigration', { taskQueue: 'migrations', workflowId: id, args: [i] }) as Promise<TenantMigrationResult>;
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (err: WorkflowFailedError) => err.cause as { type?: string; message: string });
  const retriedActivities = async (workflowId: string) => {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
  };

  beforeAll(async () => {
    await dropDatabases(SRC, DST, LO_SRC, LO_DST, RLS_SRC, RLS_DST);
    await withDb('postgres', async (db) => {
      for (const d of [SRC, LO_SRC, RLS_SRC]) await db.query(`CREATE DATABASE ${d}`);
      await db.query(`DROP ROLE IF EXISTS ${READER}`);
      await db.query(`CREATE ROLE ${READER} LOGIN NOBYPASSRLS`);
    });
    await withDb(SRC, (db) => db.query(ZOO));
    await withDb(LO_SRC, (db) => db.query(`CREATE TABLE docs (id int PRIMARY KEY, blob oid); INSERT INTO docs VALUES (1, lo_from_bytea(0, 'hello'))`));
    await withDb(RLS_SRC, (db) => db.query(`
      CREATE TABLE docs (id int PRIMARY KEY, owner name NOT NULL, body text);
      INSERT INTO docs SELECT g, CASE WHEN g % 3 = 0 THEN '${READER}' ELSE 'postgres' END, 'd' || g FROM generate_series(1, 90) g;
      ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
      CREATE POLICY mine ON docs USING (owner = current_user);
      GRANT SELECT ON docs TO ${READER}`));
    const readerUrl = new URL(PG_ADMIN_URL);
    readerUrl.username = READER;
    const configPath = writeTestConfig({
      servers: {
        local: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 2 },
        target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 2 },
        reader: { kind: 'postgres', url: readerUrl.toString(), maxConcurrency: 2 },
      },
    });
    env = await startTemporal();
    worker = await startWorker(env.address, configPath);
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await dropDatabases(SRC, DST, LO_SRC, LO_DST, RLS_SRC, RLS_DST);
    await withDb('postgres', (db) => db.query(`DROP ROLE IF EXISTS ${READER}`));
  });

  it('inheritance, zero columns, unlogged, ICU text key, identity/generated, domain over array, exclusion, RLS: exact', async () => {
    const r = await run({ tenantId: 'zoo', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST },
      options: { chunkRows: 40 } }, 'zoo-1');
    expect(r.ok).toBe(true);
    expect(r.validation?.ok).toBe(true);
    // Every table, every row, compared independently of tmig's own code (a parent read without ONLY includes its children).
    expect(await tableDigests(DST)).toEqual(await tableDigests(SRC));
    await withDb(DST, async (db) => {
      const own = async (t: string) => (await db.query(`SELECT count(*)::int AS n FROM ONLY ${t}`)).rows[0].n;
      expect([await own('measurement'), await own('measurement_y2020'), await own('measurement_y2020_q1')]).toEqual([50, 60, 30]);
      expect([await own('event_log'), await own('event_log_2020')]).toEqual([20, 30]);
      expect(await own('marker')).toBe(7);
      const rel = await db.query(`SELECT relname, relpersistence, relrowsecurity, relforcerowsecurity FROM pg_class
        WHERE relname IN ('session_cache', 'secrets') ORDER BY relname`);
      expect(rel.rows).toEqual([
        { relname: 'secrets', relpersistence: 'p', relrowsecurity: true, relforcerowsecurity: true },
        { relname: 'session_cache', relpersistence: 'u', relrowsecurity: false, relforcerowsecurity: false },
      ]);
      expect((await db.query(`SELECT count(*)::int AS n FROM pg_policy WHERE polname = 'own_rows'`)).rows[0].n).toBe(1);
      expect((await db.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'reservations'::regclass AND contype = 'x'`)).rows[0].n).toBe(1);
      const coll = await db.query(`SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
        WHERE a.attrelid = 'session_cache'::regclass AND a.attname = 'token'`);
      expect(coll.rows[0].collname).toBe('und-x-icu');
      // Identity continues past the copied values; the generated column is computed by the target.
      const next = await db.query(`INSERT INTO items (price, qty) VALUES (2, 3) RETURNING id, total::text`);
      expect(next.rows[0]).toEqual({ id: 121, total: '6.00' });
      // Text-key chunks were cut in the key column's own collation order (the index order, the
      // same on both sides: the target carries the column's collation).
      const lastKeys = (await db.query<{ k: string }>(`SELECT last_key[1] AS k FROM _tmig.chunk WHERE table_name = 'public.session_cache' ORDER BY chunk_no`)).rows.map((x) => x.k);
      expect(lastKeys.length).toBe(3); // chunks of at least 100 rows
      const sorted = await db.query<{ ks: string[] }>(`SELECT array_agg(k ORDER BY k COLLATE "und-x-icu") AS ks FROM unnest($1::text[]) AS k`, [lastKeys]);
      expect(sorted.rows[0].ks).toEqual(lastKeys);
    });
  });

  it('large objects are refused before the copy, with the reason', async () => {
    const f = await failure(run({ tenantId: 'zoo-lo', source: { server: 'local', database: LO_SRC }, target: { server: 'target', database: LO_DST } }, 'zoo-lo-1'));
    expect(f?.type).toBe('UnsupportedFeature');
    expect(f?.message).toMatch(/1 large object\(s\).*refused before the copy/);
    const run_ = await withDb(LO_DST, (db) => db.query(`SELECT pre_data_done, status FROM _tmig.run`));
    expect(run_.rows[0]).toEqual({ pre_data_done: false, status: 'failed' });
    expect(await retriedActivities('zoo-lo-1')).toBe(0);
  });

  it('a source role subject to row-level security fails at once, naming the table, instead of copying a filtered table', async () => {
    const f = await failure(run({ tenantId: 'zoo-rls', source: { server: 'reader', database: RLS_SRC }, target: { server: 'target', database: RLS_DST } }, 'zoo-rls-1'));
    expect(f?.type).toBe('DatabaseError');
    expect(f?.message).toMatch(/row-level security policy for table "docs"/);
    expect(f?.message).toMatch(/SQLSTATE 42501; statement: /);
    // Permanent: not retried.
    expect(await retriedActivities('zoo-rls-1')).toBe(0);
  });
});
