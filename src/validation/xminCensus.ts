/**
 * The xmin census: proves, without reading row contents, that the target rows of a table (or of a
 * key range) are exactly the rows the copy's chunk transactions committed, untouched since.
 *
 * Every row version in PostgreSQL carries the id of the transaction that created it (`xmin`). Each
 * chunk records the id of its transaction and its row count, and its rows were read back and
 * checksummed in that same transaction before commit. An UPDATE (even of a value to itself), an
 * INSERT, a COPY or a table rewrite after the copy creates row versions with a newer xmin; a DELETE
 * removes rows from a chunk's xmin. So when every visible row's xmin is one of the chunks' and each
 * xmin has exactly its chunk's row count, the visible rows are the rows that were read back. Freezing
 * (VACUUM) keeps the raw xmin readable (PostgreSQL 9.4+). `xmin` holds 32 bits of the 64-bit
 * transaction id the chunk recorded: a later transaction can only show the same 32 bits after 2^32
 * more transactions, and the census is not trusted once 2^31 have passed since the oldest chunk.
 * What it cannot see: changes below SQL (pages edited on disk, storage corruption) — `recheck`
 * re-reads every chunk cold for that.
 */
import type { Client } from 'pg';
import { chunkConditions, type PgTableShape } from '../engines/postgres/chunkQuery';
import { onlyTable } from '../engines/postgres/quoting';
import type { KeyRange } from '../engines/sourceEngine';

/** Visible rows per 32-bit xmin, in one table (or one key range of it). */
export async function xminCensus(db: Client, shape: PgTableShape, range: KeyRange): Promise<Map<string, number>> {
  const conds = chunkConditions(shape, { range, after: null });
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const r = await db.query<{ x: string; n: string }>(`SELECT xmin::text AS x, count(*)::text AS n FROM ${onlyTable(shape.schema, shape.name)}${where} GROUP BY xmin`);
  return new Map(r.rows.map((row) => [row.x, Number(row.n)]));
}

export interface CensusVerdict {
  ok: boolean;
  /** Rows counted (the target's row count in scope). */
  rows: number;
  /** What differs, in counts only (no row data): why validation falls back to a cold re-read. */
  differences: string[];
}

/** The newest transaction id handed out (64-bit), without taking one. */
export async function currentXact(db: Client): Promise<bigint> {
  const r = await db.query<{ x: string }>('SELECT txid_snapshot_xmax(txid_current_snapshot())::text AS x');
  return BigInt(r.rows[0].x);
}

/**
 * Compares a census with the committed chunks in its scope (every chunk must carry its transaction
 * id). `now` guards the 32-bit comparison: once 2^31 transactions have passed since a chunk, a later
 * transaction's xmin could equal it, so the census is not trusted (validation re-reads cold).
 */
export function compareCensus(census: Map<string, number>, chunks: { xact: string; rows: number }[], now: bigint): CensusVerdict {
  if (chunks.some((c) => now - BigInt(c.xact) >= 0x80000000n)) {
    return { ok: false, rows: [...census.values()].reduce((s, n) => s + n, 0), differences: ['chunks older than 2^31 transactions: transaction ids may repeat'] };
  }
  const expected = new Map<string, number>();
  for (const c of chunks) {
    const x = (BigInt(c.xact) & 0xffffffffn).toString();
    expected.set(x, (expected.get(x) ?? 0) + c.rows);
  }
  let rows = 0;
  let foreign = 0;
  let missing = 0;
  for (const [x, n] of census) {
    rows += n;
    const want = expected.get(x);
    if (want === undefined) foreign += n;
    else if (n < want) missing += want - n;
    // n > want is impossible for a chunk's own xid (its rows were counted when read back); treat it as foreign.
    else if (n > want) foreign += n - want;
  }
  for (const [x, want] of expected) if (!census.has(x)) missing += want;
  const differences: string[] = [];
  if (foreign) differences.push(`${foreign} row(s) written after the copy (by transactions other than the chunks')`);
  if (missing) differences.push(`${missing} row(s) the chunks committed are no longer there (deleted or updated)`);
  return { ok: differences.length === 0, rows, differences };
}
