import { classified, config, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { tableLabel } from '../engines/schemaModel';
import { readCheckpoints, recordPlan } from '../engines/postgres/checkpointStore';
import { FULL_RANGE } from '../engines/sourceEngine';
import { loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';

/** Rows per page range of a keyless table (one transaction each). */
export const KEYLESS_RANGE_ROWS = 100_000;
const MAX_KEYLESS_RANGES = 1_000;

export interface CopyWorkItem {
  table: string;
  rangeId: number;
  done: boolean;
  rowsDone: number;
  estimatedRows: number;
}

/**
 * Plans key ranges once per table and records them as checkpoint rows; a retry or a resumed
 * run finds the stored plan, so range ids and checkpoints always match.
 */
export async function planCopy(t: TenantRef, opts: { splitRowsThreshold: number; rangesPerTable: number }): Promise<CopyWorkItem[]> {
  return classified(`${tenantLabel(t)}: plan copy`, () => withHeartbeats(() => ({ phase: 'plan' }), async () => {
    const cfg = config();
    const model = await loadModel(t);
    const engine = await openTenantSource(cfg, t.source, t.options);
    const db = await openTarget(cfg, t.target).connect();
    try {
      const existing = new Set((await readCheckpoints(db)).map((c) => c.table));
      for (const table of model.tables) {
        const label = tableLabel(table);
        if (existing.has(label)) continue;
        const split = table.key && table.estimatedRows >= opts.splitRowsThreshold && opts.rangesPerTable > 1;
        // A keyless PostgreSQL table is split into page ranges, each one transaction and one checkpoint:
        // a retry redoes one range, not the whole table.
        const pageSplit = !table.key && engine.kind === 'postgres' && table.estimatedRows >= KEYLESS_RANGE_ROWS;
        const ranges = split ? await engine.planRanges(table, opts.rangesPerTable)
          : pageSplit ? await engine.planRanges(table, Math.min(MAX_KEYLESS_RANGES, Math.max(opts.rangesPerTable, Math.ceil(table.estimatedRows / KEYLESS_RANGE_ROWS))))
            : [FULL_RANGE];
        await recordPlan(db, label, ranges);
      }
      const estimated = new Map(model.tables.map((tb) => [tableLabel(tb), tb.estimatedRows]));
      const rangesPer = new Map<string, number>();
      const cps = await readCheckpoints(db);
      for (const c of cps) rangesPer.set(c.table, (rangesPer.get(c.table) ?? 0) + 1);
      return cps.map((c) => ({
        table: c.table, rangeId: c.rangeId, done: c.done, rowsDone: c.rowsDone,
        estimatedRows: Math.round((estimated.get(c.table) ?? 0) / (rangesPer.get(c.table) ?? 1)),
      }));
    } finally {
      await db.end();
      await engine.close();
    }
  }));
}
