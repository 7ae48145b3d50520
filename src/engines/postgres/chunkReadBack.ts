/**
 * The target side of a chunk's checksum, taken inside the transaction that wrote the chunk, before
 * it commits: the rows this transaction inserted are read back through the same canonical encoder
 * validation uses (`chunkCopyOut` of the target shape, in key order) while their pages are hot.
 * A committed chunk therefore carries both checksums and the id of the transaction that wrote it
 * (what validation's xmin census matches rows against).
 *
 * Finding the rows without an index (indexes are built after the copy): they were appended by this
 * transaction, so a TID range scan from (just before) the relation's size before the COPY, filtered
 * on this transaction's xmin, reads only the new pages. If COPY put some rows on an older page (free
 * space map), the count falls short and the read is repeated over the whole table (still filtered on
 * xmin; correct, but a scan of the table: the debug log `tmig: read-back fell back` says when).
 */
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { chunkCopyOut, type ChunkBounds, type PgTableShape } from './chunkQuery';
import { qualified, quoteLiteral } from './quoting';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChunkChecksum, isBinaryKind, type ChecksumKind } from '../copyText';

/**
 * COPY also fills leftover space of pages just before the end (the free space map points it to the
 * pages the previous chunks left); measured, those were the last few pages. The read starts this
 * many pages (1 MB) before the end: cheap, and a shortfall still falls back to the whole table.
 */
const REUSED_PAGES_MARGIN = 128;
/** Second try: 64 MB further back (one free-space-map leaf covers about 32 MB of heap). */
const WIDER_PAGES = 8192;

/** Taken in the chunk's transaction before its COPY. */
export interface WriteMark {
  /** `txid_current()` (64-bit, with epoch) as text. */
  xact: string;
  /** The 32-bit xid rows written by this transaction carry in `xmin`. */
  xmin: string;
  /** Where this transaction's rows start, at the latest: the table's pages before the COPY, less a margin. */
  startPage: number;
  /** TID range scans exist (PostgreSQL 14+); without them the read-back is skipped (validation re-reads cold). */
  tidRangeScan: boolean;
}

export async function markBeforeWrite(db: Client, shape: PgTableShape): Promise<WriteMark> {
  // A sorted read-back of a chunk (up to 64 MB) sorts in memory, not on disk; only for this transaction.
  await db.query(`SET LOCAL work_mem = '128MB'`);
  const r = await db.query<{ xact: string; pages: string; v: number }>(
    `SELECT txid_current()::text AS xact, (pg_relation_size(${quoteLiteral(qualified(shape.schema, shape.name))}::regclass)
       / current_setting('block_size')::int)::text AS pages, current_setting('server_version_num')::int AS v`);
  const { xact, pages, v } = r.rows[0];
  return { xact, xmin: (BigInt(xact) & 0xffffffffn).toString(), startPage: Math.max(0, Number(pages) - REUSED_PAGES_MARGIN), tidRangeScan: v >= 140000 };
}

/**
 * Checksum of the rows this transaction wrote within `bounds` (the chunk's key range; the full
 * range for a keyless table), read back in canonical form. Null when the server cannot read them
 * back cheaply (no TID range scans) — the chunk is then re-read cold by validation.
 */
export async function readBackWritten(db: Client, shape: PgTableShape, bounds: Omit<ChunkBounds, 'filter' | 'limit'>, mark: WriteMark,
  kind: ChecksumKind, rowsWritten: number): Promise<string | null> {
  if (!mark.tidRangeScan) return null;
  const own = `xmin = ${quoteLiteral(mark.xmin)}::xid`;
  const read = async (filter: string) => {
    const sum = new ChunkChecksum(kind, { expectedFields: shape.columns.length });
    await pipeline(db.query(copyTo(chunkCopyOut(shape, { ...bounds, limit: null, filter }, isBinaryKind(kind)))),
      new Writable({ write(chunk: Buffer, _enc, cb) { sum.update(chunk); cb(); } }));
    return { rows: sum.rows, checksum: sum.digest() };
  };
  // Sorted by key, as the source was read: physical order is not COPY order (COPY fills earlier pages'
  // leftover space through the free space map), so an unsorted read would not compare.
  const fresh = await read(`ctid >= '(${mark.startPage},0)'::tid AND ${own}`);
  if (fresh.rows === rowsWritten) return fresh.checksum;
  // Some rows landed on older pages (leftover space of pages other ranges' chunks left, found
  // through the free space map near the pages being filled): look further back, then everywhere.
  const wider = Math.max(0, mark.startPage - WIDER_PAGES);
  if (wider > 0) {
    const more = await read(`ctid >= '(${wider},0)'::tid AND ${own}`);
    if (more.rows === rowsWritten) return more.checksum;
  }
  if (process.env.TMIG_DEBUG_READBACK) console.log(`tmig: read-back fell back to the whole of ${shape.schema}.${shape.name} (${fresh.rows} of ${rowsWritten} rows from page ${mark.startPage})`);
  return (await read(own)).checksum;
}
