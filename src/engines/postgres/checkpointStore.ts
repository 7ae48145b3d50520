/**
 * The checkpoint store: owner of the exactly-once copy contract in a PostgreSQL target's `_tmig`
 * schema. Plan rows (one checkpoint row per key range), the checkpoint row lock, the chunk commit
 * (chunk record + advanced checkpoint, inside the transaction that wrote the chunk's rows) and the
 * chunk records validation checks (source checksum, target checksum read back before commit, and the
 * writing transaction's id for the xmin census), and the CDC stream position (`_tmig.stream_position`) of an
 * online tenant. Nothing else writes `_tmig.checkpoint`, `_tmig.chunk` or `_tmig.stream_position`.
 */
import type { Client } from 'pg';
import type { KeyRange } from '../sourceEngine';

export interface Checkpoint {
  table: string;
  rangeId: number;
  range: KeyRange;
  lastKey: string[] | null;
  rowsDone: number;
  bytesDone: number;
  chunks: number;
  done: boolean;
}

export interface ChunkRecord {
  rangeId: number;
  chunkNo: number;
  afterKey: string[] | null;
  lastKey: string[] | null;
  rows: number;
  bytes: number;
  checksum: string;
  checksumKind: string;
  attempt: number;
  /** Checksum of the rows read back in the writing transaction (null: written by an older version, or not read back). */
  targetChecksum: string | null;
  /** The writing transaction's id, `txid_current()` as text (null: written by an older version). */
  xact: string | null;
}

/** What a committed chunk adds to its range. */
export interface ChunkWrite {
  /** Key of the chunk's last row (null for an empty chunk or a table without a key). */
  lastKey: string[] | null;
  rows: number;
  bytes: number;
  checksum: string;
  checksumKind: string;
  /** Activity attempt that wrote it (shows where retries resumed). */
  attempt: number;
  /** Checksum of the rows read back before commit (null when not read back). */
  targetChecksum: string | null;
  /** This transaction's `txid_current()`. */
  xact: string;
}

export async function readCheckpoints(db: Client, table?: string): Promise<Checkpoint[]> {
  const r = await db.query(`SELECT table_name, range_id, lo, hi, last_key, rows_done::text, bytes_done::text, chunks, done
    FROM _tmig.checkpoint ${table ? 'WHERE table_name = $1' : ''} ORDER BY table_name, range_id`, table ? [table] : []);
  return r.rows.map((x) => ({
    table: x.table_name, rangeId: x.range_id, range: { lo: x.lo, hi: x.hi }, lastKey: x.last_key,
    rowsDone: Number(x.rows_done), bytesDone: Number(x.bytes_done), chunks: x.chunks, done: x.done,
  }));
}

export async function readChunkRecords(db: Client, table: string): Promise<ChunkRecord[]> {
  // to_jsonb: a target written (and never resumed) by an older version has no target_checksum/xact columns.
  const r = await db.query(`SELECT range_id, chunk_no, after_key, last_key, rows::text, bytes::text, checksum, checksum_kind, attempt,
      to_jsonb(c)->>'target_checksum' AS target_checksum, to_jsonb(c)->>'xact' AS xact
    FROM _tmig.chunk c WHERE table_name = $1 ORDER BY range_id, chunk_no`, [table]);
  return r.rows.map((x) => ({
    rangeId: x.range_id, chunkNo: x.chunk_no, afterKey: x.after_key, lastKey: x.last_key, rows: Number(x.rows),
    bytes: Number(x.bytes), checksum: x.checksum, checksumKind: x.checksum_kind, attempt: x.attempt,
    targetChecksum: x.target_checksum ?? null, xact: x.xact ?? null,
  }));
}

const chunkColumnsChecked = new Set<string>();

/**
 * A target prepared by an older version (its workflow resumed on this one without running prepare
 * again) lacks the chunk columns added since: adds them once per database and process.
 */
export async function ensureChunkColumns(db: Client, where: { server: string; database: string }): Promise<void> {
  const key = `${where.server}/${where.database}`;
  if (chunkColumnsChecked.has(key)) return;
  const r = await db.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = '_tmig.chunk'::regclass AND attname IN ('target_checksum', 'xact') AND NOT attisdropped`);
  if (r.rows[0].n < 2) {
    await db.query('ALTER TABLE _tmig.chunk ADD COLUMN IF NOT EXISTS target_checksum text, ADD COLUMN IF NOT EXISTS xact bigint');
  }
  chunkColumnsChecked.add(key);
}

/** Records a table's key ranges as checkpoint rows, once (a plan already stored is kept as it is). */
export async function recordPlan(db: Client, table: string, ranges: KeyRange[]): Promise<void> {
  await db.query('BEGIN');
  for (const [i, r] of ranges.entries()) {
    await db.query(`INSERT INTO _tmig.checkpoint (table_name, range_id, lo, hi) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [table, i, r.lo, r.hi]);
  }
  await db.query('COMMIT');
}

/** Locks the checkpoint row (in the caller's transaction) and checks nobody advanced it since we read it. */
export async function lockCheckpoint(db: Client, cp: Checkpoint): Promise<void> {
  const r = await db.query<{ rows_done: string; done: boolean }>(
    `SELECT rows_done::text, done FROM _tmig.checkpoint WHERE table_name = $1 AND range_id = $2 FOR UPDATE`, [cp.table, cp.rangeId]);
  if (!r.rowCount || Number(r.rows[0].rows_done) !== cp.rowsDone || r.rows[0].done !== cp.done) {
    throw new Error(`checkpoint of ${cp.table} range ${cp.rangeId} moved under this attempt (another attempt is writing); retrying from the stored checkpoint`);
  }
}

/**
 * Records a keyed chunk and advances its range's checkpoint, in the caller's transaction (the
 * one that wrote the rows). `done` marks the range finished. Returns the new checkpoint.
 */
export async function recordChunk(db: Client, cp: Checkpoint, chunk: ChunkWrite, done: boolean): Promise<Checkpoint> {
  const lastKey = chunk.rows > 0 ? chunk.lastKey : cp.lastKey;
  if (chunk.rows > 0) {
    await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt, target_checksum, xact)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [cp.table, cp.rangeId, cp.chunks + 1, cp.lastKey, lastKey, chunk.rows, chunk.bytes, chunk.checksum, chunk.checksumKind, chunk.attempt,
      chunk.targetChecksum, chunk.xact]);
  }
  await db.query(`UPDATE _tmig.checkpoint SET last_key = $3, rows_done = rows_done + $4, bytes_done = bytes_done + $5,
    chunks = chunks + $6, done = $7, updated_at = clock_timestamp() WHERE table_name = $1 AND range_id = $2`,
  [cp.table, cp.rangeId, lastKey, chunk.rows, chunk.bytes, chunk.rows > 0 ? 1 : 0, done]);
  return { ...cp, lastKey, rowsDone: cp.rowsDone + chunk.rows, bytesDone: cp.bytesDone + chunk.bytes, chunks: cp.chunks + (chunk.rows > 0 ? 1 : 0), done };
}

/** Records a table without a key, copied whole as one chunk, in the caller's transaction. */
export async function recordWholeTable(db: Client, cp: Checkpoint, chunk: ChunkWrite): Promise<Checkpoint> {
  await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt, target_checksum, xact)
    VALUES ($1, $2, 1, NULL, NULL, $3, $4, $5, $6, $7, $8, $9)`,
  [cp.table, cp.rangeId, chunk.rows, chunk.bytes, chunk.checksum, chunk.checksumKind, chunk.attempt, chunk.targetChecksum, chunk.xact]);
  await db.query(`UPDATE _tmig.checkpoint SET rows_done = $3, bytes_done = $4, chunks = 1, done = true, updated_at = clock_timestamp()
    WHERE table_name = $1 AND range_id = $2`, [cp.table, cp.rangeId, chunk.rows, chunk.bytes]);
  return { ...cp, rowsDone: chunk.rows, bytesDone: chunk.bytes, chunks: 1, done: true };
}

// ---------- CDC stream position ----------
// The position of one change stream (online migration), kept in the database the changes are
// applied to and written in the same transaction as the changes it covers. The row is locked
// for the whole apply transaction, so two appliers of one stream serialize and the second
// skips what the first committed.

export const STREAM_POSITION_DDL = `
CREATE SCHEMA IF NOT EXISTS _tmig;
CREATE TABLE IF NOT EXISTS _tmig.stream_position (
  stream text PRIMARY KEY,
  tenant_id text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('forward', 'reverse')),
  start_lsn pg_lsn NOT NULL,
  lsn pg_lsn NOT NULL,
  last_commit_time timestamptz,
  changes bigint NOT NULL DEFAULT 0,
  transactions bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`;

export interface StreamPosition {
  stream: string;
  tenantId: string;
  direction: 'forward' | 'reverse';
  startLsn: string;
  /** End LSN of the last applied source commit. */
  lsn: string;
  lastCommitTime: string | null;
  changes: number;
  transactions: number;
}

/** Records where a new stream starts (before any chunk is read); keeps an existing row. */
export async function initStreamPosition(db: Client, p: { stream: string; tenantId: string; direction: 'forward' | 'reverse'; startLsn: string }): Promise<StreamPosition> {
  await db.query(STREAM_POSITION_DDL);
  await db.query(`INSERT INTO _tmig.stream_position (stream, tenant_id, direction, start_lsn, lsn) VALUES ($1, $2, $3, $4, $4)
    ON CONFLICT (stream) DO NOTHING`, [p.stream, p.tenantId, p.direction, p.startLsn]);
  return (await readStreamPosition(db, p.stream))!;
}

export async function readStreamPosition(db: Client, stream: string, forUpdate = false): Promise<StreamPosition | undefined> {
  const exists = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_tmig' AND c.relname = 'stream_position'`);
  if (!exists.rowCount) return undefined;
  const r = await db.query<{ stream: string; tenant_id: string; direction: 'forward' | 'reverse'; start_lsn: string; lsn: string; t: Date | null; changes: string; transactions: string }>(
    `SELECT stream, tenant_id, direction, start_lsn::text, lsn::text, last_commit_time AS t, changes::text, transactions::text
     FROM _tmig.stream_position WHERE stream = $1${forUpdate ? ' FOR UPDATE' : ''}`, [stream]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    stream: row.stream, tenantId: row.tenant_id, direction: row.direction, startLsn: row.start_lsn, lsn: row.lsn,
    lastCommitTime: row.t ? row.t.toISOString() : null, changes: Number(row.changes), transactions: Number(row.transactions),
  };
}

/** Inside the apply transaction: moves the position past the applied commits. */
export async function advanceStreamPosition(db: Client, stream: string, p: { lsn: string; lastCommitTime: string; changes: number; transactions: number }): Promise<void> {
  await db.query(`UPDATE _tmig.stream_position SET lsn = $2, last_commit_time = $3, changes = changes + $4, transactions = transactions + $5,
    updated_at = clock_timestamp() WHERE stream = $1`, [stream, p.lsn, p.lastCommitTime, p.changes, p.transactions]);
}

export async function deleteStreamPosition(db: Client, stream: string): Promise<void> {
  const exists = await readStreamPosition(db, stream);
  if (exists) await db.query('DELETE FROM _tmig.stream_position WHERE stream = $1', [stream]);
}
