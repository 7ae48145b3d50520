/**
 * Activity: several small tables (one range each) of a tenant copied in one call, one after the
 * other. A tiny table's copy is a few milliseconds of work behind a whole activity round trip;
 * batching keeps the per-table cost to the copy itself. Each table goes through copyTableSlice,
 * unchanged: chunks are still exactly-once with their checkpoints in the target, and a retry of
 * the batch finds the finished tables done and resumes the others from their checkpoints. The
 * stored model and the sessions are reused between tables (storedModel's cache, the session pool).
 */
import { copyTableSlice, type CopySliceResult } from './copyTableSlice';
import type { TenantRef } from '../contract/tenantRef';

export interface CopySmallTablesRequest {
  /** Table labels and range ids (each the only range of its table), copied in this order. */
  items: { table: string; rangeId: number }[];
  chunkRows: number;
  /** Return after this long (between tables or chunks) so the workflow can update progress; the next call resumes. */
  budgetMs: number;
  /** As in copyTableSlice: false skips the read-back before commit. */
  readBack?: boolean;
}

/** One result per item attempted, in order; items after a table left unfinished are not attempted. */
export async function copySmallTables(t: TenantRef, req: CopySmallTablesRequest): Promise<CopySliceResult[]> {
  const started = Date.now();
  const results: CopySliceResult[] = [];
  for (const item of req.items) {
    const left = req.budgetMs - (Date.now() - started);
    if (results.length > 0 && left <= 0) break;
    const r = await copyTableSlice(t, { table: item.table, rangeId: item.rangeId, chunkRows: req.chunkRows, budgetMs: Math.max(1, left), readBack: req.readBack });
    results.push(r);
    if (!r.done) break;
  }
  return results;
}
