/**
 * Freezing and unfreezing writes on a PostgreSQL database for cutover and rollback:
 * `default_transaction_read_only` for new sessions, then the sessions still open are ended
 * (tmig's own sessions, named `tmig…`, are kept). Reports which sessions it ended, never what they ran.
 */
import type { Client } from 'pg';
import { quoteIdent } from '../engines/postgres/quoting';

export interface FreezeOutcome {
  database: string;
  /** Sessions ended because they could still write: pid, application name, state. */
  terminated: { pid: number; applicationName: string; state: string | null; inTransaction: boolean }[];
}

/** `admin` may be connected to any database of the server (ALTER DATABASE needs no connection to it). */
export async function freezeWrites(admin: Client, database: string): Promise<FreezeOutcome> {
  await admin.query(`ALTER DATABASE ${quoteIdent(database)} SET default_transaction_read_only = on`);
  const r = await admin.query<{ pid: number; app: string; state: string | null; xact: boolean }>(`
    SELECT pid, application_name AS app, state, backend_xid IS NOT NULL OR xact_start IS NOT NULL AS xact
    FROM pg_stat_activity
    WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'tmig%'`, [database]);
  const terminated: FreezeOutcome['terminated'] = [];
  for (const s of r.rows) {
    const ok = await admin.query<{ t: boolean }>('SELECT pg_terminate_backend($1) AS t', [s.pid]);
    if (ok.rows[0]?.t) terminated.push({ pid: s.pid, applicationName: s.app, state: s.state, inTransaction: s.xact });
  }
  // Wait until they are gone: their last transactions have then committed or rolled back.
  for (let i = 0; i < 100; i++) {
    const left = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [terminated.map((t) => t.pid)]);
    if (!left.rowCount) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return { database, terminated };
}

export async function unfreezeWrites(admin: Client, database: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${quoteIdent(database)} RESET default_transaction_read_only`);
}

export async function isFrozen(admin: Client, database: string): Promise<boolean> {
  const r = await admin.query(`SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = $1 AND s.setrole = 0 AND 'default_transaction_read_only=on' = ANY (s.setconfig)`, [database]);
  return Boolean(r.rowCount);
}
