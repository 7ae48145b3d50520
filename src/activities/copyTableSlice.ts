import type { Client } from 'pg';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { classified, config, heartbeat, throwIfCancelled, attempt, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { tableLabel, type TableModel } from '../engines/schemaModel';
import { FailureType, PermanentError } from '../contract/failures';
import { FULL_RANGE, type SourceEngine } from '../engines/sourceEngine';
import { ensureChunkColumns, lockCheckpoint, readCheckpoints, recordChunk, recordWholeTable, type Checkpoint } from '../engines/postgres/checkpointStore';
import { markBeforeWrite, readBackWritten } from '../engines/postgres/chunkReadBack';
import { targetShape } from '../engines/postgres/source';
import { qualified } from '../engines/postgres/quoting';
import { copyIntoSql } from '../engines/postgres/chunkQuery';
import { BinaryCopyTap, CopyTap, keyFromLine } from '../engines/copyText';
import { binaryCopyRefusal } from '../engines/copyBinary';
import { findTable, loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import { recordChunkCommitted } from '../metrics/migratorMetrics';

export interface CopySliceRequest {
  table: string;
  rangeId: number;
  chunkRows: number;
  /** Return after this long so the workflow can update progress; the next call resumes. */
  budgetMs: number;
  /** false: no read-back before commit (no target checksum recorded; validation re-reads those chunks cold). */
  readBack?: boolean;
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

/** A table (or page range) copied in one transaction must finish within this, below the 30-minute activity limit. */
export const WHOLE_TABLE_BUDGET_MS = 25 * 60_000;

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
    const engine = await openTenantSource(cfg, t.source, t.options);
    const db = await openTarget(cfg, t.target).connect(`tmig-copy ${t.tenantId}`);
    const result: CopySliceResult = { table: req.table, rangeId: req.rangeId, done: false, rowsThisCall: 0,
      bytesThisCall: 0, chunksThisCall: 0, rowsDone: 0, ms: 0, resumedAtRows: 0 };
    try {
      // Bulk-load settings that keep durability: each chunk's commit is still flushed.
      // lock_timeout: waiting behind a stale attempt's checkpoint lock fails (and is retried) instead of hanging.
      await db.query(`SET synchronous_commit = on; SET maintenance_work_mem = '256MB'; SET lock_timeout = '2min'`);
      await ensureChunkColumns(db, t.target);
      const [initial] = await readCheckpoints(db, req.table).then((cps) => cps.filter((c) => c.rangeId === req.rangeId));
      if (!initial) throw new Error(`no checkpoint row for ${req.table} range ${req.rangeId}: planCopy has not run`);
      result.rowsDone = initial.rowsDone;
      result.resumedAtRows = initial.rowsDone;
      if (initial.done) {
        result.done = true;
        return result;
      }
      const chunkRows = adaptChunkRows(req.chunkRows, table.avgRowBytes);
      const binary = useBinaryCopy(engine, table, t.options?.copyFormat);
      let cp = initial;
      // No key values here (they may be personal data): the checkpoint row in the target has them.
      const progress = () => ({ table: req.table, rangeId: req.rangeId, rowsDone: cp.rowsDone, chunks: cp.chunks });
      await withHeartbeats(progress, async () => {
        while (!cp.done) {
          throwIfCancelled();
          const chunkStarted = performance.now();
          const step = table.key
            ? await copyKeyedChunk(db, engine, table, cp, chunkRows, req.readBack !== false, binary)
            : await copyWholeTable(db, engine, table, cp, req.readBack !== false);
          recordChunkCommitted(t, step.rows, step.bytes, (performance.now() - chunkStarted) / 1000);
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

/**
 * Binary COPY (copyBinary.ts) when the source is PostgreSQL and every column keeps its built-in
 * type; `copyFormat: text` in the options keeps canonical text. Chunks already recorded keep their
 * own kind: validation reads each chunk in the format its checksum was taken in.
 */
export function useBinaryCopy(engine: SourceEngine, table: TableModel, format: 'auto' | 'text' | undefined): boolean {
  if (format === 'text' || !engine.readsBinaryCopy?.()) return false;
  return binaryCopyRefusal(table.columns, table.key) === null;
}

async function copyKeyedChunk(db: Client, engine: SourceEngine, table: TableModel, cp: Checkpoint, chunkRows: number, readBack: boolean,
  binary: boolean): Promise<ChunkStep> {
  const shape = targetShape(table);
  const keyPositions = shape.key!.map((k) => shape.columns.indexOf(k));
  await db.query('BEGIN');
  try {
    await lockCheckpoint(db, cp);
    const mark = await markBeforeWrite(db, shape);
    const source = await engine.readChunk({ table, range: cp.range, after: cp.lastKey, limit: chunkRows, ...(binary ? { binary } : {}) });
    const tap = binary ? new BinaryCopyTap(shape.columns.length, keyPositions, shape.keyTypes) : new CopyTap('ordered-sha256');
    const sink = db.query(copyFrom(copyIntoSql(shape, binary)));
    await pipeline(source, tap, sink);
    const rows = tap.rows;
    const done = rows < chunkRows;
    const lastKey = rows > 0
      ? (tap instanceof BinaryCopyTap ? tap.lastKey()! : keyFromLine(tap.lastRow()!, keyPositions, shape.columns.length))
      : cp.lastKey;
    // The target side of the checksum, read back before commit (validation compares the two).
    const checksum = tap.checksum.digest();
    const targetChecksum = rows > 0 && readBack ? await readBackWritten(db, shape, { range: cp.range, after: cp.lastKey, upTo: lastKey }, mark, tap.checksum.kind, rows) : null;
    const checkpoint = await recordChunk(db, cp,
      { lastKey, rows, bytes: tap.bytes, checksum, checksumKind: tap.checksum.kind, attempt: attempt(), targetChecksum, xact: mark.xact }, done);
    await db.query('COMMIT');
    return { rows, bytes: tap.bytes, checkpoint };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A table without a usable key, or one page range of it: copied in one transaction (restarted whole on retry). */
async function copyWholeTable(db: Client, engine: SourceEngine, table: TableModel, cp: Checkpoint, readBack: boolean): Promise<ChunkStep> {
  const shape = targetShape(table);
  await db.query('BEGIN');
  try {
    await lockCheckpoint(db, cp);
    // The whole table in one range: start from empty (ONLY: an inheritance parent must not empty its children).
    // A page range needs no clean-up: it commits with its checkpoint or not at all.
    if (cp.range.lo === null && cp.range.hi === null) await db.query(`TRUNCATE ONLY ${qualified(shape.schema, shape.name)}`);
    const mark = await markBeforeWrite(db, shape);
    const source = await engine.readChunk({ table, range: cp.range, after: null, limit: null });
    const tap = new CopyTap('multiset-sha256');
    const sink = db.query(copyFrom(copyIntoSql(shape)));
    // What stays whole gets a time budget (inside the activity's 30 minutes) and a clear error, not a
    // timeout followed by silent retries from zero.
    const budget = setTimeout(() => source.destroy(new PermanentError(FailureType.CopyTimeBudget,
      `${tableLabel(table)}${cp.range.lo !== null || cp.range.hi !== null ? ` range ${cp.rangeId}` : ''} has no order-safe key and was not copied ` +
      `in one piece within ${WHOLE_TABLE_BUDGET_MS / 60_000} minutes (${tap.rows} rows read); give it a primary key or unique NOT NULL key to copy it in resumable chunks`)),
    WHOLE_TABLE_BUDGET_MS);
    try {
      await pipeline(source, tap, sink);
    } finally {
      clearTimeout(budget);
    }
    // Read back before commit: this transaction's rows, wherever they sit (a page range's rows land on other target pages).
    const checksum = tap.checksum.digest();
    const targetChecksum = readBack ? await readBackWritten(db, shape, { range: FULL_RANGE, after: null, upTo: null }, mark, tap.checksum.kind, tap.rows) : null;
    const checkpoint = await recordWholeTable(db, cp,
      { lastKey: null, rows: tap.rows, bytes: tap.bytes, checksum, checksumKind: tap.checksum.kind, attempt: attempt(), targetChecksum, xact: mark.xact });
    await db.query('COMMIT');
    return { rows: tap.rows, bytes: tap.bytes, checkpoint };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
