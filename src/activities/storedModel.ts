import { Context } from '@temporalio/activity';
import type { SchemaModel, TableModel } from '../engines/schemaModel';
import { tableLabel } from '../engines/schemaModel';
import { PostgresTarget } from '../engines/postgres/target';
import { openTarget } from '../config/openEngines';
import { config } from './activityContext';
import type { TenantRef } from '../contract/tenantRef';

/**
 * Models read this worker keeps, per tenant attempt (workflow run) and target: a tenant's copy
 * slices, plan, post-data and validation all read the same stored model, which describeSource
 * writes once per target and never changes within a run. Bounded, oldest dropped first.
 */
const MAX_CACHED_MODELS = 32;
const models = new Map<string, SchemaModel>();

function cacheKey(t: TenantRef): string | undefined {
  try {
    const runId = Context.current().info.workflowExecution?.runId;
    return runId ? `${runId}|${t.target.server}|${t.target.database}` : undefined;
  } catch {
    return undefined; // Outside an activity (unit use): no run to key on, no cache.
  }
}

/** Remembers the stored model for the current run (describeSource, which wrote it, calls this). */
export function rememberModel(t: TenantRef, model: SchemaModel): void {
  const key = cacheKey(t);
  if (!key) return;
  models.delete(key);
  models.set(key, model);
  while (models.size > MAX_CACHED_MODELS) models.delete(models.keys().next().value!);
}

/** Forgets the models cached for a target (its tenant finished). */
export function forgetModels(t: TenantRef): void {
  for (const key of [...models.keys()]) if (key.endsWith(`|${t.target.server}|${t.target.database}`)) models.delete(key);
}

/** The model stored in the target by describeSource (cached per run: see above). */
export async function loadModel(t: TenantRef): Promise<SchemaModel> {
  const key = cacheKey(t);
  const cached = key ? models.get(key) : undefined;
  if (cached) return cached;
  const db = await openTarget(config(), t.target).connect();
  try {
    const model = await PostgresTarget.loadModel(db);
    rememberModel(t, model);
    return model;
  } finally {
    await db.end();
  }
}

export function findTable(model: SchemaModel, label: string, tenantId: string): TableModel {
  const table = model.tables.find((tb) => tableLabel(tb) === label);
  if (!table) throw new Error(`tenant ${tenantId}: table ${label} is not in the stored schema model`);
  return table;
}
