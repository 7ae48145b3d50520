import type { MigratorConfig } from '../config/configSchema';
import { openTarget } from '../config/openEngines';
import { PostgresTarget } from '../engines/postgres/target';
import { qualified } from '../engines/postgres/quoting';
import { planTableName } from '../contract/splitPlan';

/**
 * Row counts of every table in each tenant's target, keyed by the source table name (the
 * split plan's names), read through the model stored in the target.
 */
export async function countTargetTables(config: MigratorConfig, targets: { tenant: string; target: { server: string; database: string } }[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const { tenant, target } of targets) {
    let db;
    try {
      db = await openTarget(config, target).connect('tmig-split-accounting');
    } catch {
      continue; // No target database: the accounting reports "no target counts" for this tenant.
    }
    try {
      const model = await PostgresTarget.loadModel(db);
      const counts: Record<string, number> = {};
      for (const t of model.tables) {
        const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(t.targetSchema, t.targetName)}`);
        counts[planTableName(t)] = Number(r.rows[0].n);
      }
      out[tenant] = counts;
    } catch {
      // A target without a stored model never finished describe: no counts.
    } finally {
      await db.end().catch(() => undefined);
    }
  }
  return out;
}
