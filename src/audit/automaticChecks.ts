import type { ColumnModel, ForeignKeyModel, SchemaModel, TableModel } from '../engines/schemaModel';
import type { AuditContext } from './auditContext';
import type { AuditFinding } from '../contract/auditResult';
import { findColumn, findTable, resolveNoteObject, sourceLabel } from './resolve';

/** Tables without a usable key (the model's `key` is null) are copied in one transaction and restarted whole. */
export async function checkNoKey(ctx: AuditContext, table: TableModel): Promise<AuditFinding[]> {
  if (table.key?.length) return [];
  const { count } = await ctx.matching(table, '1 = 1', [], 'noKey');
  return [ctx.finding({
    check: 'noKey', table: sourceLabel(table), count, policy: ctx.policies.noKey,
    message: `${sourceLabel(table)} has no key usable for chunked copy (a primary or unique not-null key that sorts the same ` +
      `in both databases): its ${count} rows are copied in one transaction and restarted whole after a failure`,
  })];
}

/**
 * Columns whose type has no lossless mapping (the engine's `lossy` notes) or no faithful one at all
 * (`unsupported` notes): the rows holding a value there.
 */
export async function checkLossyTypes(ctx: AuditContext, model: SchemaModel): Promise<AuditFinding[]> {
  const findings: AuditFinding[] = [];
  for (const note of model.notes) {
    if (note.severity !== 'lossy' && note.severity !== 'unsupported') continue;
    const hit = resolveNoteObject(model, note.object);
    if (!hit?.column) continue; // Table-level and non-table notes are shown as conversion notes in the report.
    const { table, column } = hit;
    const { count, sampleKeys } = await ctx.matching(table, `${ctx.col(column.name)} IS NOT NULL`, [], `${note.severity} type`);
    if (count === 0) continue;
    const check = note.severity === 'unsupported' ? 'unsupportedType' : 'lossyType';
    findings.push(ctx.finding({
      check, table: sourceLabel(table), column: column.name, count, sampleKeys, policy: ctx.policies[check],
      message: `${sourceLabel(table)}.${column.name} (${column.sourceType} -> ${column.targetType}): ${count} non-null ` +
        `values affected: ${note.message}`,
    }));
  }
  return findings;
}

function isGenerated(column: ColumnModel): boolean {
  return !!column.identity || /\bnextval\s*\(/i.test(column.defaultExpr ?? '');
}

/** Identity/serial columns whose highest value handed out is past the threshold share of their type's maximum. */
export async function checkIdentityOverflow(ctx: AuditContext, table: TableModel): Promise<AuditFinding[]> {
  const findings: AuditFinding[] = [];
  for (const column of table.columns.filter(isGenerated)) {
    const max = ctx.dialect.integerTypeMax(column.sourceType);
    if (max === null) continue;
    ctx.checksRun++;
    const q = ctx.dialect.identityCurrentQuery(table.schema, table.name, column.name);
    const rows = await ctx.run(q.sql, q.params, `identityOverflow on ${sourceLabel(table)}.${column.name}`);
    const current = rows[0]?.current;
    if (current === null || current === undefined) continue;
    const value = BigInt(String(current).split('.')[0]);
    const share = Number((value * 10000n) / max) / 10000;
    if (share <= ctx.identityThreshold) continue;
    findings.push(ctx.finding({
      check: 'identityOverflow', table: sourceLabel(table), column: column.name, count: 1,
      policy: ctx.policies.identityOverflow,
      message: `${sourceLabel(table)}.${column.name} (${column.sourceType}) is at ${value} = ${(share * 100).toFixed(1)}% ` +
        `of its maximum ${max} (threshold ${Math.round(ctx.identityThreshold * 100)}%): widen the target type`,
    }));
  }
  return findings;
}

/** Rows whose stored size exceeds the configured limit (memory per chunk, downstream limits). */
export async function checkWideRows(ctx: AuditContext, table: TableModel): Promise<AuditFinding[]> {
  const where = `${ctx.dialect.rowBytes('t', table.columns.map((c) => ctx.col(c.name)))} > ${ctx.dialect.param(1)}`;
  const { count, sampleKeys } = await ctx.matching(table, where, [ctx.maxRowBytes], 'wideRows');
  if (count === 0) return [];
  return [ctx.finding({
    check: 'wideRows', table: sourceLabel(table), count, sampleKeys, policy: ctx.policies.wideRows,
    message: `${sourceLabel(table)}: ${count} rows are wider than ${ctx.maxRowBytes} bytes`,
  })];
}

/**
 * Rows whose non-null referencing columns have no parent row (MATCH SIMPLE).
 * Trusted keys with orphans cannot be validated in the target: blocking. Untrusted (disabled,
 * NOT VALID) keys are created NOT VALID in the target, so their orphans are a warning.
 */
export async function checkOrphans(ctx: AuditContext, model: SchemaModel, table: TableModel, fk: ForeignKeyModel): Promise<AuditFinding[]> {
  const parent = findTable(model, `${fk.refSchema}.${fk.refTable}`);
  const parentCols = fk.refColumns.map((c) => (parent ? findColumn(parent, c)?.name : undefined) ?? c);
  const parentFrom = parent ? ctx.from(parent, 'p') : `${ctx.dialect.qualifiedTable(fk.refSchema, fk.refTable)} p`;
  const where = orphanPredicate(ctx, fk.columns, parentFrom, parentCols);
  const { count, sampleKeys } = await ctx.matching(table, where, [], `orphans (${fk.name})`);
  if (count === 0) return [];
  const ref = `${fk.refSchema}.${fk.refTable}(${fk.refColumns.join(', ')})`;
  return [ctx.finding({
    check: 'orphans', table: sourceLabel(table), column: fk.columns.join(', '), count, sampleKeys,
    policy: fk.trusted ? ctx.policies.orphans : 'warn',
    message: `${sourceLabel(table)}: ${count} rows violate foreign key ${fk.name} (${fk.columns.join(', ')}) -> ${ref}` +
      (fk.trusted ? '' : ' (the key is disabled or not validated in the source; it is created NOT VALID in the target)'),
  })];
}

/** `NOT EXISTS` anti-join of alias `t` against a parent, skipping rows with a NULL in the referencing columns. */
export function orphanPredicate(ctx: AuditContext, childCols: string[], parentFrom: string, parentCols: string[]): string {
  const notNull = childCols.map((c) => `${ctx.col(c)} IS NOT NULL`).join(' AND ');
  const join = childCols.map((c, i) => `${ctx.col(parentCols[i], 'p')} = ${ctx.col(c)}`).join(' AND ');
  return `${notNull} AND NOT EXISTS (SELECT 1 FROM ${parentFrom} WHERE ${join})`;
}
