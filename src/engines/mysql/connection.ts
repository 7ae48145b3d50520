/** MySQL / MariaDB connections through mysql2: UTC, text dates and big integers as strings (canonical text). */
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';

export type { Pool, PoolConnection };

export interface MysqlConnectOptions {
  /** mysql://user@host:port (no database; `database` picks it). */
  url: string;
  database?: string;
  password?: string;
  connectionLimit?: number;
}

export function createMysqlPool(opts: MysqlConnectOptions): Pool {
  const u = new URL(opts.url);
  const pool = mysql.createPool({
    host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'),
    password: opts.password ?? (u.password ? decodeURIComponent(u.password) : undefined),
    database: opts.database ?? (u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : undefined),
    connectionLimit: opts.connectionLimit ?? 8, timezone: 'Z', dateStrings: true, supportBigNumbers: true,
    bigNumberStrings: true, charset: 'utf8mb4_bin', multipleStatements: false, decimalNumbers: false,
  });
  // READ COMMITTED: a locking read of a missing row takes no gap lock, so transactions on unrelated
  // documents do not deadlock; two that race on the same new row meet on its primary key and one retries.
  pool.pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return pool;
}

// 1062 (duplicate key) is retried too: every transaction here deletes before it inserts, so a duplicate
// means a concurrent transaction created the same row first; the retry then sees (and locks) it.
const TRANSIENT = new Set([1205, 1213, 2006, 2013, 1040, 1053, 1062]);

/** Deadlocks, lock wait timeouts, lost connections and lost insert races: retry the whole transaction. */
export function isTransientMysqlError(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return (e?.errno !== undefined && TRANSIENT.has(e.errno)) || e?.code === 'ECONNRESET' || e?.code === 'PROTOCOL_CONNECTION_LOST';
}

/** Runs `body` in one InnoDB transaction; retried whole on deadlock / lock timeout. */
export async function inTransaction<T>(pool: Pool, body: (conn: PoolConnection) => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      const result = await body(conn);
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      if (attempt >= attempts || !isTransientMysqlError(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(500, 5 * attempt * attempt) + Math.floor(Math.random() * 25)));
    } finally {
      conn.release();
    }
  }
}
