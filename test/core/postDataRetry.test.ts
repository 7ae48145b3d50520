/**
 * Post-data errors by SQLSTATE: a backend killed mid-index and a deadlock between parallel steps
 * are transient (the retry finishes the work); a definition error is permanent at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { PostgresTarget } from '../../src/engines/postgres/target';
import { BOOKKEEPING_DDL } from '../../src/engines/postgres/bookkeeping';
import { PermanentError } from '../../src/contract/failures';
import { classifySqlState, redactStatement, sqlStateOf } from '../../src/contract/sqlState';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import type { DdlStep } from '../../src/engines/sourceEngine';

const DB = 'tmig_postdata_retry';

describe('SQLSTATE classification', () => {
  it('transient and permanent classes', () => {
    for (const code of ['08006', '40P01', '40001', '53100', '53300', '57P01', '55P03', '25P03']) expect(classifySqlState(code), code).toBe('transient');
    for (const code of ['42601', '42P01', '42501', '22P02', '23505', '0A000', '3F000']) expect(classifySqlState(code), code).toBe('permanent');
    expect(sqlStateOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(sqlStateOf(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '40P01' }) }))).toBe('40P01');
    expect(redactStatement(`COPY (SELECT a FROM t WHERE (id) > ('jane@example.com'::text)) TO STDOUT`)).toBe(`COPY (SELECT a FROM t WHERE (id) > ('…'::text)) TO STDOUT`);
  });
});

describe('post-data retries transient errors only', () => {
  const target = new PostgresTarget({ serverName: 'local', database: DB, server: { url: PG_ADMIN_URL } });
  const indexExists = (name: string) => withDb(DB, async (db) => (await db.query('SELECT 1 FROM pg_class WHERE relname = $1', [name])).rowCount === 1);

  beforeAll(async () => {
    await dropDatabases(DB);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${DB}`));
    await withDb(DB, (db) => db.query(`${BOOKKEEPING_DDL}
      INSERT INTO _tmig.run (id, tenant_id, source, status) VALUES (1, 't', 's', 'incomplete');
      CREATE TABLE big (id int, v text); INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 400000) g;
      CREATE TABLE a (id int); CREATE TABLE b (id int);`));
  });

  afterAll(async () => {
    await dropDatabases(DB);
  });

  it('a backend killed mid-index is transient; the retry builds the index', async () => {
    // A slow index: an expression evaluated per row, so the build is still running when the backend is killed.
    const steps: DdlStep[] = [{ label: 'INDEX public.big_slow', group: 0, sql: 'CREATE INDEX big_slow ON big (md5(v || md5(v || md5(v))))' }];
    const killer = new Client({ connectionString: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${DB}`) });
    await killer.connect();
    let killed = 0;
    const kill = (async () => {
      for (let i = 0; i < 400 && !killed; i++) {
        const r = await killer.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = $1 AND query LIKE 'CREATE INDEX big_slow%' AND state = 'active' AND backend_type = 'client backend'`, [DB]);
        killed = r.rows.filter((x) => x.ok).length;
        if (!killed) await new Promise((res) => setTimeout(res, 25));
      }
    })();
    const first = await target.applyPostData(steps, 1).then(() => undefined, (err: unknown) => err);
    await kill;
    await killer.end();
    expect(killed).toBe(1);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(PermanentError);
    expect(await indexExists('big_slow')).toBe(false);
    expect(await target.applyPostData(steps, 1)).toBe(1);
    expect(await indexExists('big_slow')).toBe(true);
  }, 120_000);

  it('a deadlock between two parallel steps is transient; the retry applies the step that lost', async () => {
    const steps: DdlStep[] = [
      { label: 'FK CONSTRAINT public.a_b', group: 2, sql: `LOCK TABLE a IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0.5); LOCK TABLE b IN ACCESS EXCLUSIVE MODE; CREATE INDEX a_locked ON a (id)` },
      { label: 'FK CONSTRAINT public.b_a', group: 2, sql: `LOCK TABLE b IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0.5); LOCK TABLE a IN ACCESS EXCLUSIVE MODE; CREATE INDEX b_locked ON b (id)` },
    ];
    const first = await target.applyPostData(steps, 2).then(() => undefined, (err: unknown) => err);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(PermanentError);
    expect(sqlStateOf(first)).toBe('40P01');
    expect([await indexExists('a_locked'), await indexExists('b_locked')].filter(Boolean)).toHaveLength(1);
    expect(await target.applyPostData(steps, 2)).toBe(1);
    expect([await indexExists('a_locked'), await indexExists('b_locked')]).toEqual([true, true]);
  }, 60_000);

  it('a definition error is permanent, naming the step, SQLSTATE and statement', async () => {
    const steps: DdlStep[] = [{ label: 'INDEX public.nothing_idx', group: 0, sql: 'CREATE INDEX nothing_idx ON no_such_table (c)' }];
    const err = await target.applyPostData(steps, 1).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/post-data step "INDEX public\.nothing_idx" failed: .*no_such_table.* \(SQLSTATE 42P01; statement: CREATE INDEX nothing_idx ON no_such_table \(c\)\)/);
  });
});
