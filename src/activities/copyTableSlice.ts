import type { Client } from 'pg';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { classified, config, heartbeat, throwIfCancelled, attempt, withHeartbeats } from './activityContext';
import { openSource, openTarget } from '../config/openEngines';
import type { TableModel } from '../engines/schemaModel';
import type { SourceEngine } from '../engines/sourceEngine';
import { PostgresTarget, type Checkpoint } from '../engines/postgres/target';
import { targetShape } from '../engines/postgres/source';
import { qualified, quoteIdent } from '../engines/postgres/quoting';
import { CopyTap, keyFromLine } from '../engines/copyText';
import { findTable, loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';

export interface CopySliceRequest {
  table: string;
  rangeId: number;
  chunkRows: number;
  /** Return after this long so the workflow can update progress; the next call resumes. */
  budgetMs: number;
}

export interface CopySliceResult {
  table: string;
  rangeId: number;
  done: boolean;
  rowsThisCall: number;
  bytesThisCall: number;
  chunksThisCall: number;
  rowsDone: number;
  ms: number;
  /** Rows already in the target when this call started (a resumed range). */
  resumedAtRows: number;
}

/** Upper bound of bytes per chunk: keeps one transaction and one COPY buffer modest. */
const CHUNK_TARGET_BYTES = 64 * 1024 * 1024;

/** Chunk size adapted to row width, never above the requested rows. */
export function adaptChunkRows(requested: number, avgRowBytes: number | undefined): number {
  if (!avgRowBytes) return requested;
  return Math.max(100, Math.min(requested, Math.floor(CHUNK_TARGET_BYTES / avgRowBytes)));
}

/**
 * Copies chunks of one key range: each chunk is read from the source in key order, streamed
 * into COPY FROM STDIN and committed in one target transaction together with its checkpoint
 * and checksum, then heartbeated. A retry resumes from the committed checkpoint; the
 * checkpoint row is locked per chunk, so even a stale attempt cannot write a chunk twice.
 */
export async function copyTableSlice(t: TenantRef, req: CopySliceRequest): Promise<CopySliceResult> {
  return classified(`${tenantLabel(t)}: copy ${req.table} range ${req.rangeId}`, async () => {
    const started = Date.now();
    const cfg = config();
    const model = await loadModel(t);
    const table = findTable(model, req.table, t.tenantId);
    const engine = await openSource(cfg, t.source, t.options);
    const db = await openTarget(cfg, t.target).connect(`tmig-copy ${t.tenantId}`);
    const result: CopySliceResult = { table: req.table, rangeId: req.rangeId, done: false, rowsThisCall: 0,
      bytesThisCall: 0, chunksThisCall: 0, rowsDone: 0, ms: 0, resumedAtRows: 0 };
    try {
      // Bulk-load settings that keep durability: each chunk's commit is still flushed.
      await db.query(`SET synchronous_commit = on; SET maintenance_work_mem = '256MB'`);
      const [initial] = await PostgresTarget.checkpoints(db, req.table).then((cps) => cps.filter((c) => c.rangeId === req.rangeId));
      if (!initial) throw new Error(`no checkpoint row for ${req.table} range ${req.rangeId}: planCopy has not run`);
      result.rowsDone = initial.rowsDone;
      result.resumedAtRows = initial.rowsDone;
      if (initial.done) {
        result.done = true;
        return result;
      }
      const chunkRows = adaptChunkRows(req.chunkRows, table.avgRowBytes);
      let cp = initial;
      const progress = () => ({ table: req.table, rangeId: req.rangeId, rowsDone: cp.rowsDone, lastKey: cp.lastKey });
      await withHeartbeats(progress, async () => {
        while (!cp.done) {
          throwIfCancelled();
          const step = table.key ? await copyKeyedChunk(db, engine, table, cp, chunkRows) : await copyWholeTable(db, engine, table, cp);
          cp = step.checkpoint;
          result.rowsThisCall += step.rows;
          result.bytesThisCall += step.bytes;
          result.chunksThisCall += step.rows > 0 ? 1 : 0;
          result.rowsDone = cp.rowsDone;
          heartbeat(progress());
          if (Date.now() - started >= req.budgetMs) break;
        }
      });
      result.done = cp.done;
      return result;
    } finally {
      result.ms = Date.now() - started;
      await db.end().catch(() => undefined);
      await engine.close();
    }
  });
}

interface ChunkStep {
  checkpoint: Checkpoint;
  rows: number;
  bytes: number;
}

/** Locks the checkpoint row and checks nobody advanced it since we read it. */
async function lockCheckpoint(db: Client, cp: Checkpoint): Promise<void> {
  const r = await db.query<{ rows_done: string; done: boolean }>(
    `SELECT rows_done::text, done FROM _tmig.checkpoint WHERE table_name = $1 AND range_id = $2 FOR UPDATE`, [cp.table, cp.rangeId]);
  if (!r.rowCount || Number(r.rows[0].rows_done) !== cp.rowsDone || r.rows[0].done !== cp.done) {
    throw new Error(`checkpoint of ${cp.table} range ${cp.rangeId} moved under this attempt (another attempt is writing); retrying from the stored checkpoint`);
  }
}

async function copyKeyedChunk(db: Client, engine: SourceEngine, table: TableModel, cp: Checkpoint, chunkRows: number): Promise<ChunkStep> {
  const shape = targetShape(table);
  const keyPositions = shape.key!.map((k) => shape.columns.indexOf(k));
  await db.query('BEGIN');
  try {
    await lockCheckpoint(db, cp);
    const source = await engine.readChunk({ table, range: cp.range, after: cp.lastKey, limit: chunkRows });
    const tap = new CopyTap('ordered-sha256');
    const sink = db.query(copyFrom(`COPY ${qualified(shape.schema, shape.name)} (${shape.columns.map(quoteIdent).join(', ')}) FROM STDIN`));
    await pipeline(source, tap, sink);
    const rows = tap.rows;
    const done = rows < chunkRows;
    let lastKey = cp.lastKey;
    if (rows > 0) {
      lastKey = keyFromLine(tap.lastRow()!, keyPositions, shape.columns.length);
      await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [cp.table, cp.rangeId, cp.chunks + 1, cp.lastKey, lastKey, rows, tap.bytes, tap.checksum.digest(), tap.checksum.kind, attempt()]);
    }
    await db.query(`UPDATE _tmig.checkpoint SET last_key = $3, rows_done = rows_done + $4, bytes_done = bytes_done + $5,
      chunks = chunks + $6, done = $7, updated_at = clock_timestamp() WHERE table_name = $1 AND range_id = $2`,
    [cp.table, cp.rangeId, lastKey, rows, tap.bytes, rows > 0 ? 1 : 0, done]);
    await db.query('COMMIT');
    return {
      rows, bytes: tap.bytes,
      checkpoint: { ...cp, lastKey, rowsDone: cp.rowsDone + rows, bytesDone: cp.bytesDone + tap.bytes, chunks: cp.chunks + (rows > 0 ? 1 : 0), done },
    };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A table without a usable key: emptied and copied whole in one transaction (restarted whole on retry). */
async function copyWholeTable(db: Client, engine: SourceEngine, table: TableModel, cp: Checkpoint): Promise<ChunkStep> {
  const shape = targetShape(table);
  await db.query('BEGIN');
  try {
    await lockCheckpoint(db, cp);
    await db.query(`TRUNCATE ${qualified(shape.schema, shape.name)}`);
    const source = await engine.readChunk({ table, range: cp.range, after: null, limit: null });
    const tap = new CopyTap('multiset-sha256');
    const sink = db.query(copyFrom(`COPY ${qualified(shape.schema, shape.name)} (${shape.columns.map(quoteIdent).join(', ')}) FROM STDIN`));
    await pipeline(source, tap, sink);
    await db.query(`INSERT INTO _tmig.chunk (table_name, range_id, chunk_no, after_key, last_key, rows, bytes, checksum, checksum_kind, attempt)
      VALUES ($1, $2, 1, NULL, NULL, $3, $4, $5, $6, $7)`,
    [cp.table, cp.rangeId, tap.rows, tap.bytes, tap.checksum.digest(), tap.checksum.kind, attempt()]);
    await db.query(`UPDATE _tmig.checkpoint SET rows_done = $3, bytes_done = $4, chunks = 1, done = true, updated_at = clock_timestamp()
      WHERE table_name = $1 AND range_id = $2`, [cp.table, cp.rangeId, tap.rows, tap.bytes]);
    await db.query('COMMIT');
    return { rows: tap.rows, bytes: tap.bytes, checkpoint: { ...cp, rowsDone: tap.rows, bytesDone: tap.bytes, chunks: 1, done: true } };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
