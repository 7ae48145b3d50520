import type { SchemaModel } from '../engines/schemaModel';
import type { AuditContext } from './auditContext';
import type { AuditFinding } from '../contract/auditResult';

/**
 * Tenant slices of a shared database: warns for each table whose slice cannot be found by an
 * index (every slice then scans the shared table), with the estimated cost, from the notes the
 * slice engine wrote when it described the slice. Runs no query.
 */
export function checkSliceScans(ctx: AuditContext, model: SchemaModel): AuditFinding[] {
  const sliced = new Map(model.tables.filter((t) => t.rowFilter).map((t) => [`${t.schema}.${t.name}`, t]));
  return model.notes
    .filter((n) => sliced.has(n.object) && n.message.includes('SCANNED'))
    .map((n) => ctx.finding({ check: 'sliceScan', table: n.object, count: sliced.get(n.object)!.estimatedRows, policy: ctx.policies.sliceScan, message: n.message }));
}
