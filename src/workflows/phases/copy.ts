/**
 * Phase `copy`: plans key ranges once, then copies every range in exactly-once chunks, largest
 * first, `tableConcurrency` at a time. A pause cancels the running slices between chunks; resume
 * starts them again from their stored checkpoints.
 */
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { CopySliceResult } from '../../activities/copyTableSlice';
import type { CopyWorkItem } from '../../activities/planCopy';
import type { DescribeResult } from '../../activities/prepareTarget';
import type { TenantRun } from '../tenantRun';
import { quick, slices } from '../activityStubs';
import { isoNow, workflowNow } from '../clock';
import { rangeSummary, summary } from '../uiMetadata';

/**
 * Copy activities return after a time budget so progress stays current; the next call resumes.
 * The budget grows with the copy's age (20 s up to 2 min) so a copy of many hours stays well
 * inside history limits (a 10-hour copy with 4 parallel ranges is about 1,200 slices).
 */
function sliceBudgetMs(copyElapsedMs: number): number {
  return Math.min(120_000, Math.max(20_000, Math.round(copyElapsedMs / 10)));
}

export async function copy(run: TenantRun, described: DescribeResult): Promise<CopyWorkItem[]> {
  const { progress, opts, ref } = run;
  await run.untilResumed();
  run.enter('copy');
  const items = await quick().planCopy.executeWithOptions(summary(`plan copy of ${described.tables.length} tables`),
    [ref, { splitRowsThreshold: opts.splitRowsThreshold, rangesPerTable: opts.rangesPerTable }]);
  const rangesOf = new Map<string, number>();
  for (const it of items) rangesOf.set(it.table, (rangesOf.get(it.table) ?? 0) + 1);
  progress.rowsTotal = items.reduce((s, i) => s + Math.max(i.estimatedRows, i.rowsDone), 0);
  progress.rowsCopied = items.reduce((s, i) => s + i.rowsDone, 0);
  const tablesPending = new Map<string, number>();
  for (const it of items) if (!it.done) tablesPending.set(it.table, (tablesPending.get(it.table) ?? 0) + 1);
  progress.tablesDone = described.tables.length - tablesPending.size;
  const copyStartedAt = workflowNow().getTime();
  const rowsAtCopyStart = progress.rowsCopied;

  const itemRows = new Map(items.map((i) => [`${i.table}#${i.rangeId}`, i.rowsDone]));
  /** Progress after a slice (or a batch's table) returned. */
  const recordSlice = (r: CopySliceResult) => {
    itemRows.set(`${r.table}#${r.rangeId}`, r.rowsDone);
    progress.rowsCopied = [...itemRows.values()].reduce((a, b) => a + b, 0);
    progress.bytesCopied += r.bytesThisCall;
    progress.rowsTotal = Math.max(progress.rowsTotal, progress.rowsCopied);
    run.tableMs.set(r.table, (run.tableMs.get(r.table) ?? 0) + r.ms);
    const elapsed = (workflowNow().getTime() - copyStartedAt) / 1000;
    progress.rowsPerSecond = elapsed > 0 ? Math.round((progress.rowsCopied - rowsAtCopyStart) / elapsed) : 0;
    progress.etaSeconds = progress.rowsPerSecond > 0 ? Math.round((progress.rowsTotal - progress.rowsCopied) / progress.rowsPerSecond) : null;
  };
  const rangeDone = (table: string) => {
    const left = (tablesPending.get(table) ?? 1) - 1;
    tablesPending.set(table, left);
    if (left === 0) progress.tablesDone++;
  };
  /** Runs one activity call in a scope a pause can cancel; undefined when paused (the caller calls again). */
  const pausable = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    await run.untilResumed();
    // Pause cancels the running slice: its current chunk commits, then it stops (between chunks).
    const scope = new CancellationScope();
    run.runningSlices.add(scope);
    try {
      return await scope.run(call);
    } catch (err) {
      if (isCancellation(err) && run.pausedScopes.has(scope) && !CancellationScope.current().consideredCancelled) return undefined;
      throw err;
    } finally {
      run.runningSlices.delete(scope);
    }
  };
  const copyItem = async (item: CopyWorkItem) => {
    for (;;) {
      const r = await pausable(() => slices.copyTableSlice.executeWithOptions(summary(rangeSummary('copy', item.table, item.rangeId, rangesOf.get(item.table) ?? 1)),
        [ref, { table: item.table, rangeId: item.rangeId, chunkRows: opts.chunkRows, budgetMs: sliceBudgetMs(workflowNow().getTime() - copyStartedAt),
          ...(opts.copyReadBack === false ? { readBack: false } : {}) }]));
      if (!r) continue;
      recordSlice(r);
      run.throughput.push({ at: isoNow(), rows: progress.rowsCopied, bytes: progress.bytesCopied });
      run.showDetails();
      if (r.done) break;
    }
    rangeDone(item.table);
  };
  /** Small tables in one activity per batch; each call resumes with the tables not yet done. */
  const copyBatch = async (batch: CopyWorkItem[]) => {
    let pending = batch;
    while (pending.length > 0) {
      const results = await pausable(() => slices.copySmallTables.executeWithOptions(summary(`copy ${pending.length} small tables`),
        [ref, { items: pending.map((i) => ({ table: i.table, rangeId: i.rangeId })), chunkRows: opts.chunkRows, budgetMs: sliceBudgetMs(workflowNow().getTime() - copyStartedAt),
          ...(opts.copyReadBack === false ? { readBack: false } : {}) }]));
      if (!results) continue;
      for (const r of results) {
        recordSlice(r);
        if (r.done) rangeDone(r.table);
      }
      const finished = new Set(results.filter((r) => r.done).map((r) => `${r.table}#${r.rangeId}`));
      pending = pending.filter((i) => !finished.has(`${i.table}#${i.rangeId}`));
      run.throughput.push({ at: isoNow(), rows: progress.rowsCopied, bytes: progress.bytesCopied });
      run.showDetails();
    }
  };
  // Largest first: the long tables start early and the small ones fill the gaps.
  const queue = items.filter((i) => !i.done).sort((a, b) => b.estimatedRows - a.estimatedRows);
  // Patched: histories from before copy one table per activity call.
  if (patched('copy-small-tables-batched')) {
    // Patched: histories from before spread small tables over `tableConcurrency` batches whatever their rows.
    const units = copyUnits(queue, rangesOf, opts.tableConcurrency, patched('small-tables-batched-by-rows') ? PARALLEL_BATCH_ROWS : 0);
    await Promise.all(Array.from({ length: opts.tableConcurrency }, async () => {
      for (let unit = units.shift(); unit; unit = units.shift()) await (unit.length === 1 ? copyItem(unit[0]) : copyBatch(unit));
    }));
    return items;
  }
  await Promise.all(Array.from({ length: opts.tableConcurrency }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await copyItem(item);
  }));
  return items;
}

/** A table of at most this many estimated rows (and one range) is copied in a batch with others. */
export const SMALL_TABLE_ROWS = 20_000;
/** Estimated rows of one batch at most: a batch stays a short activity call. */
const SMALL_BATCH_ROWS = 100_000;
/**
 * Small tables are split into parallel batches only for this many estimated rows a batch: below it
 * an activity call (a task on the server, a workflow task, connections) costs more than the
 * parallel copy saves. A tenant of a few thousand rows copies in one call, not `tableConcurrency`.
 */
export const PARALLEL_BATCH_ROWS = 25_000;

/** Parallel batches for `rows` estimated rows of small tables: one per `rowsPerBatch`, 1 to `concurrency` (0: `concurrency`). */
export function parallelBatches(rows: number, concurrency: number, rowsPerBatch = PARALLEL_BATCH_ROWS): number {
  return rowsPerBatch > 0 ? Math.min(concurrency, Math.max(1, Math.ceil(rows / rowsPerBatch))) : concurrency;
}

/**
 * Work units, largest first: each large table's range alone, the small tables in batches. Small
 * tables are spread over up to `concurrency` batches of at least `parallelBatchRows` estimated rows
 * (0: always `concurrency`), more when their rows exceed SMALL_BATCH_ROWS per batch; a batch of
 * one is a plain slice.
 */
export function copyUnits(queue: CopyWorkItem[], rangesOf: Map<string, number>, concurrency: number, parallelBatchRows = 0): CopyWorkItem[][] {
  const isSmall = (i: CopyWorkItem) => (rangesOf.get(i.table) ?? 1) === 1 && i.estimatedRows <= SMALL_TABLE_ROWS;
  const small = queue.filter(isSmall);
  const units: CopyWorkItem[][] = queue.filter((i) => !isSmall(i)).map((i) => [i]);
  const rows = small.reduce((s, i) => s + Math.max(1, i.estimatedRows), 0);
  const parallel = parallelBatches(rows, concurrency, parallelBatchRows);
  const count = Math.min(small.length, Math.max(parallel, Math.ceil(rows / SMALL_BATCH_ROWS)));
  const batches: CopyWorkItem[][] = Array.from({ length: count }, () => []);
  const sizes = batches.map(() => 0);
  // Largest first into the lightest batch: batches of about equal rows.
  for (const item of small) {
    const k = sizes.indexOf(Math.min(...sizes));
    batches[k].push(item);
    sizes[k] += Math.max(1, item.estimatedRows);
  }
  const weight = (u: CopyWorkItem[]) => u.reduce((s, i) => s + i.estimatedRows, 0);
  return [...units, ...batches].sort((a, b) => weight(b) - weight(a));
}
