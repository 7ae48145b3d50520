/**
 * Phase `copy`: plans key ranges once, then copies every range in exactly-once chunks, largest
 * first, `tableConcurrency` at a time. A pause cancels the running slices between chunks; resume
 * starts them again from their stored checkpoints.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { CopySliceResult } from '../../activities/copyTableSlice';
import type { CopyWorkItem } from '../../activities/planCopy';
import type { DescribeResult } from '../../activities/prepareTarget';
import type { TenantRun } from '../tenantRun';
import { light, slices } from '../activityStubs';
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
  const items = await light.planCopy.executeWithOptions(summary(`plan copy of ${described.tables.length} tables`),
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
  const copyItem = async (item: CopyWorkItem) => {
    for (;;) {
      await run.untilResumed();
      // Pause cancels the running slice: its current chunk commits, then it stops (between chunks).
      const scope = new CancellationScope();
      run.runningSlices.add(scope);
      let r: CopySliceResult;
      try {
        r = await scope.run(() => slices.copyTableSlice.executeWithOptions(summary(rangeSummary('copy', item.table, item.rangeId, rangesOf.get(item.table) ?? 1)),
          [ref, { table: item.table, rangeId: item.rangeId, chunkRows: opts.chunkRows, budgetMs: sliceBudgetMs(workflowNow().getTime() - copyStartedAt) }]));
      } catch (err) {
        if (isCancellation(err) && run.pausedScopes.has(scope) && !CancellationScope.current().consideredCancelled) continue;
        throw err;
      } finally {
        run.runningSlices.delete(scope);
      }
      itemRows.set(`${item.table}#${item.rangeId}`, r.rowsDone);
      progress.rowsCopied = [...itemRows.values()].reduce((a, b) => a + b, 0);
      progress.bytesCopied += r.bytesThisCall;
      progress.rowsTotal = Math.max(progress.rowsTotal, progress.rowsCopied);
      run.tableMs.set(item.table, (run.tableMs.get(item.table) ?? 0) + r.ms);
      const elapsed = (workflowNow().getTime() - copyStartedAt) / 1000;
      progress.rowsPerSecond = elapsed > 0 ? Math.round((progress.rowsCopied - rowsAtCopyStart) / elapsed) : 0;
      progress.etaSeconds = progress.rowsPerSecond > 0 ? Math.round((progress.rowsTotal - progress.rowsCopied) / progress.rowsPerSecond) : null;
      run.throughput.push({ at: isoNow(), rows: progress.rowsCopied, bytes: progress.bytesCopied });
      run.showDetails();
      if (r.done) break;
    }
    const left = (tablesPending.get(item.table) ?? 1) - 1;
    tablesPending.set(item.table, left);
    if (left === 0) progress.tablesDone++;
  };
  // Largest first: the long tables start early and the small ones fill the gaps.
  const queue = items.filter((i) => !i.done).sort((a, b) => b.estimatedRows - a.estimatedRows);
  await Promise.all(Array.from({ length: opts.tableConcurrency }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await copyItem(item);
  }));
  return items;
}
