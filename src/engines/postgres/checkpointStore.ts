/**
 * The checkpoint store: owner of the exactly-once copy contract in a PostgreSQL target's `_tmig`
 * schema. Plan rows (one checkpoint row per key range), the checkpoint row lock, the chunk commit
 * (chunk record + advanced checkpoint, inside the transaction that wrote the chunk's rows) and the
 * chunk records validation re-reads. Nothing else writes `_tmig.checkpoint` or `_tmig.chunk`.
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
  const r = await db.query(`SELECT range_id, chunk_no, after_key, last_key, rows::text, bytes::text, checksum, checksum_kind, attempt
    FROM _tmig.chunk WHERE table_name = $1 ORDER BY range_id, chunk_no`, [table]);
  return r.rows.map((x) => ({
    rangeId: x.range_id, chunkNo: x.chunk_no, afterKey: x.after_key, lastKey: x.last_key, rows: Number(x.rows),
    bytes: Number(x.bytes), checksum: x.checksum, checksumKind: x.checksum_kind, attempt: x.attempt,
  }));
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
    await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [cp.table, cp.rangeId, cp.chunks + 1, cp.lastKey, lastKey, chunk.rows, chunk.bytes, chunk.checksum, chunk.checksumKind, chunk.attempt]);
  }
  await db.query(`UPDATE _tmig.checkpoint SET last_key = $3, rows_done = rows_done + $4, bytes_done = bytes_done + $5,
    chunks = chunks + $6, done = $7, updated_at = clock_timestamp() WHERE table_name = $1 AND range_id = $2`,
  [cp.table, cp.rangeId, lastKey, chunk.rows, chunk.bytes, chunk.rows > 0 ? 1 : 0, done]);
  return { ...cp, lastKey, rowsDone: cp.rowsDone + chunk.rows, bytesDone: cp.bytesDone + chunk.bytes, chunks: cp.chunks + (chunk.rows > 0 ? 1 : 0), done };
}

/** Records a table without a key, copied whole as one chunk, in the caller's transaction. */
export async function recordWholeTable(db: Client, cp: Checkpoint, chunk: ChunkWrite): Promise<Checkpoint> {
  await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt)
    VALUES ($1, $2, 1, NULL, NULL, $3, $4, $5, $6, $7)`,
  [cp.table, cp.rangeId, chunk.rows, chunk.bytes, chunk.checksum, chunk.checksumKind, chunk.attempt]);
  await db.query(`UPDATE _tmig.checkpoint SET rows_done = $3, bytes_done = $4, chunks = 1, done = true, updated_at = clock_timestamp()
    WHERE table_name = $1 AND range_id = $2`, [cp.table, cp.rangeId, chunk.rows, chunk.bytes]);
  return { ...cp, rowsDone: chunk.rows, bytesDone: chunk.bytes, chunks: 1, done: true };
}
