/** Test-only activities: a fake heavy step that records when it ran, to prove concurrency bounds. */
import { Context, CancelledFailure } from '@temporalio/activity';

export interface WorkRecord {
  tenantId: string;
  start: number;
  end?: number;
  outcome?: 'done' | 'cancelled' | 'failed';
}

export const records: WorkRecord[] = [];

export function resetRecords(): void {
  records.length = 0;
}

/** Sleeps `workMs` in small heartbeating steps; ends early when cancelled (or its workflow is gone). */
export async function heavyWork(input: { tenantId: string; workMs: number; fail?: boolean }): Promise<number> {
  const rec: WorkRecord = { tenantId: input.tenantId, start: Date.now() };
  records.push(rec);
  const ctx = Context.current();
  try {
    while (Date.now() - rec.start < input.workMs) {
      ctx.heartbeat();
      await ctx.sleep(Math.min(100, input.workMs));
    }
    if (input.fail) throw new Error(`tenant ${input.tenantId}: fake failure`);
    rec.outcome = 'done';
    return input.workMs;
  } catch (err) {
    rec.outcome = err instanceof CancelledFailure ? 'cancelled' : 'failed';
    throw err;
  } finally {
    rec.end = Date.now();
  }
}

/** Largest number of records whose [start, end) intervals overlap at one instant. */
export function maxOverlap(recs: WorkRecord[]): number {
  const events: [number, number][] = [];
  for (const r of recs) {
    events.push([r.start, 1]);
    events.push([r.end ?? Number.MAX_SAFE_INTEGER, -1]);
  }
  // At equal times, ends come before starts: a permit handed over is not an overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}
