import type { SchemaModel, TableModel } from '../engines/schemaModel';
import { tableLabel } from '../engines/schemaModel';
import { PostgresTarget } from '../engines/postgres/target';
import { openTarget } from '../config/openEngines';
import { config } from './activityContext';
import type { TenantRef } from '../contract/tenantRef';

/** The model stored in the target by describeSource. */
export async function loadModel(t: TenantRef): Promise<SchemaModel> {
  const db = await openTarget(config(), t.target).connect();
  try {
    return await PostgresTarget.loadModel(db);
  } finally {
    await db.end();
  }
}

export function findTable(model: SchemaModel, label: string, tenantId: string): TableModel {
  const table = model.tables.find((tb) => tableLabel(tb) === label);
  if (!table) throw new Error(`tenant ${tenantId}: table ${label} is not in the stored schema model`);
  return table;
}
