/**
 * Compares one table of a source/target pair that has no tmig bookkeeping (a copy made by another
 * tool, or a target someone touched): key ranges planned from the source, each range read from
 * both sides in canonical COPY text and compared by count and checksum.
 */
import type { Client } from 'pg';
import type { TableModel } from '../engines/schemaModel';
import type { KeyRange, SourceEngine } from '../engines/sourceEngine';
import { PostgresTarget } from '../engines/postgres/target';
import { hashStream } from './hashStream';
import { chunkSelected } from './sampling';

/** Rows per compared range (estimated); a difference is reported at this granularity. */
export const PAIR_RANGE_ROWS = 50_000;
const MAX_RANGES = 256;

export interface RangeDifference {
  rangeNo: number;
  sourceRows: number;
  targetRows: number;
  /** Only with reportKeys: the range's key bounds (lo exclusive, hi inclusive). */
  range?: KeyRange;
}

export interface PairTableComparison {
  table: string;
  key: string[] | null;
  ranges: number;
  rangesCompared: number;
  sourceRows: number;
  targetRows: number;
  differences: RangeDifference[];
}

export async function comparePairTable(engine: SourceEngine, target: PostgresTarget, db: Client, table: TableModel,
  opts: { sampleRate: number; reportKeys: boolean; onRange?: () => void }): Promise<PairTableComparison> {
  const label = `${table.targetSchema}.${table.targetName}`;
  const parts = table.key ? Math.min(MAX_RANGES, Math.max(1, Math.ceil(table.estimatedRows / PAIR_RANGE_ROWS))) : 1;
  const ranges = await engine.planRanges(table, parts);
  const kind = table.key ? 'ordered-sha256' : 'multiset-sha256';
  const out: PairTableComparison = { table: label, key: table.key, ranges: ranges.length, rangesCompared: 0, sourceRows: 0, targetRows: 0, differences: [] };
  for (const [i, range] of ranges.entries()) {
    const bounds = { range, after: null, upTo: null, limit: null };
    if (!chunkSelected(`${label}#pair`, 0, i + 1, i === ranges.length - 1, opts.sampleRate)) {
      // Not re-read in sample mode: still counted, so a missing or extra row anywhere shows.
      const [s, t] = await Promise.all([engine.count(table, range), target.count(db, table, range)]);
      out.sourceRows += s;
      out.targetRows += t;
      if (s !== t) out.differences.push({ rangeNo: i + 1, sourceRows: s, targetRows: t, ...(opts.reportKeys ? { range } : {}) });
      continue;
    }
    const [src, tgt] = await Promise.all([
      engine.readChunk({ table, ...bounds }).then((s) => hashStream(s, kind)),
      hashStream(target.readBack(db, table, bounds), kind),
    ]);
    out.rangesCompared++;
    out.sourceRows += src.rows;
    out.targetRows += tgt.rows;
    if (src.rows !== tgt.rows || src.checksum !== tgt.checksum) {
      out.differences.push({ rangeNo: i + 1, sourceRows: src.rows, targetRows: tgt.rows, ...(opts.reportKeys ? { range } : {}) });
    }
    opts.onRange?.();
  }
  return out;
}

/** One line per differing range: range numbers always, key bounds only when they were asked for. */
export function describeDifference(c: PairTableComparison, d: RangeDifference): string {
  const keys = d.range ? ` keys ${d.range.lo ?? '-inf'} < ${c.key?.[0] ?? 'key'} <= ${d.range.hi ?? '+inf'}` : '';
  const what = d.sourceRows === d.targetRows ? `${d.sourceRows} rows on both sides, contents differ` : `source ${d.sourceRows} rows, target ${d.targetRows}`;
  return `${c.table}: range ${d.rangeNo} of ${c.ranges}${keys}: ${what}`;
}
