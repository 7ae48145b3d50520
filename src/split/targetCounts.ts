import type { MigratorConfig } from '../config/configSchema';
import { openTarget } from '../config/openEngines';
import { PostgresTarget } from '../engines/postgres/target';
import { qualified } from '../engines/postgres/quoting';
import { planTableName } from '../contract/splitPlan';

/** Targets counted at once: each is its own database and connection, so a few overlap their round trips. */
export const TARGET_COUNT_CONCURRENCY = 4;

/**
 * Row counts of every table in each tenant's target, keyed by the source table name (the
 * split plan's names), read through the model stored in the target. A few targets at a time
 * (a wave's accounting counts every tenant's target); the result lists tenants in input order.
 */
export async function countTargetTables(config: MigratorConfig, targets: { tenant: string; target: { server: string; database: string } }[],
  concurrency = TARGET_COUNT_CONCURRENCY): Promise<Record<string, Record<string, number>>> {
  const found: (Record<string, number> | undefined)[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      found[i] = await countOne(config, targets[i].target);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker));
  const out: Record<string, Record<string, number>> = {};
  targets.forEach(({ tenant }, i) => {
    if (found[i]) out[tenant] = found[i]!;
  });
  return out;
}

async function countOne(config: MigratorConfig, target: { server: string; database: string }): Promise<Record<string, number> | undefined> {
  let db;
  try {
    db = await openTarget(config, target).connect('tmig-split-accounting');
  } catch {
    return undefined; // No target database: the accounting reports "no target counts" for this tenant.
  }
  try {
    const model = await PostgresTarget.loadModel(db);
    const counts: Record<string, number> = {};
    for (const t of model.tables) {
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(t.targetSchema, t.targetName)}`);
      counts[planTableName(t)] = Number(r.rows[0].n);
    }
    return counts;
  } catch {
    return undefined; // A target without a stored model never finished describe: no counts.
  } finally {
    await db.end().catch(() => undefined);
  }
}
