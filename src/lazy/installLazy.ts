/** Prepares MySQL for a lazy migration: the plan's tables, the bookkeeping tables, and the service's control row (stage 1). */
import type { Pool } from 'mysql2/promise';
import { planDdl } from '../engines/mysql/lazyDdl';
import { ensureControl } from '../engines/mysql/stageControl';
import type { LazyPlan } from '../contract/lazyPlan';

export async function installLazy(pool: Pool, plan: LazyPlan, service: string): Promise<void> {
  for (const sql of planDdl(plan)) await pool.query(sql);
  await ensureControl(pool, service, JSON.stringify(plan));
}
