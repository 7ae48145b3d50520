import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg } from '../../src/engines/postgres/connection';
import { closeIdleSessions, parkedSessions } from '../../src/engines/postgres/sessionPool';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';

const DB = 'tmig_session_pool';
const ep = { serverName: 'local', server: { url: PG_ADMIN_URL }, database: DB };

describe('per-worker session pool', () => {
  beforeAll(async () => {
    await dropDatabases(DB);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${DB}`));
  });
  afterAll(async () => {
    await closeIdleSessions();
    await dropDatabases(DB);
  });

  it('reuses an ended session with its settings reset, never one inside a transaction', async () => {
    const a = await connectPg(ep, { role: 'target', appName: 'tmig-pool-test' });
    const pid = (await a.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p;
    await a.query(`SET lock_timeout = '7s'; SET TimeZone = 'Europe/Paris'`);
    await a.end();
    expect(parkedSessions()).toBe(1);

    const b = await connectPg(ep, { role: 'target', appName: 'tmig-pool-test' });
    expect((await b.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p).toBe(pid);
    // What the last user SET is gone; the canonical settings are back.
    expect((await b.query<{ v: string }>("SELECT current_setting('lock_timeout') AS v")).rows[0].v).toBe('0');
    expect((await b.query<{ v: string }>("SELECT current_setting('TimeZone') AS v")).rows[0].v).toBe('UTC');
    expect((await b.query<{ v: string }>("SELECT current_setting('default_transaction_read_only') AS v")).rows[0].v).toBe('off');

    // Ended inside a transaction: closed, not parked (its transaction can never pass on).
    await b.query('BEGIN');
    await b.query('SELECT 1');
    await b.end();
    expect(parkedSessions()).toBe(0);
    const c = await connectPg(ep, { role: 'target', appName: 'tmig-pool-test' });
    expect((await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p).not.toBe(pid);
    expect(c.getTransactionStatus()).toBe('I');
    await c.end();
  });

  it('keys sessions by role, database and application name, and closes them for a database on request', async () => {
    const source = await connectPg(ep, { role: 'source', appName: 'tmig-pool-test' });
    const sourcePid = (await source.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p;
    await source.end();
    const target = await connectPg(ep, { role: 'target', appName: 'tmig-pool-other' });
    expect((await target.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p).not.toBe(sourcePid);
    await target.end();
    expect(parkedSessions()).toBeGreaterThanOrEqual(2);
    await closeIdleSessions(DB);
    expect(parkedSessions()).toBe(0);
    // The server sees them go.
    let open = 1;
    for (let i = 0; i < 100 && open > 0; i++) {
      open = await withDb('postgres', (db) => db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [DB]))
        .then((r) => r.rows[0].n);
      if (open > 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(open).toBe(0);
  });

  it('opens a new session when the parked one was terminated', async () => {
    const a = await connectPg(ep, { role: 'target', appName: 'tmig-pool-test' });
    const pid = (await a.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p;
    await a.end();
    await withDb('postgres', (db) => db.query('SELECT pg_terminate_backend($1)', [pid]));
    const b = await connectPg(ep, { role: 'target', appName: 'tmig-pool-test' });
    expect((await b.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
    expect((await b.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p).not.toBe(pid);
    await b.end();
  });
});
