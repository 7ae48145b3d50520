import type { SchemaModel } from '../engines/schemaModel';
import type { AuditCheckSpec } from '../contract/migration';
import type { AuditContext } from './auditContext';
import type { AuditFinding } from '../contract/auditResult';
import { orphanPredicate } from './automaticChecks';
import { requireColumn, requireTable, sourceLabel } from './resolve';
import { BadInputError } from '../contract/failures';

function describeSpec(spec: AuditCheckSpec, index: number): string {
  return `auditChecks[${index}] (${spec.check} on ${spec.table}${spec.column ? '.' + spec.column : ''})`;
}

/** Runs one check declared in the manifest; returns its finding when rows violate it. */
export async function runDeclaredCheck(ctx: AuditContext, model: SchemaModel, spec: AuditCheckSpec, index: number): Promise<AuditFinding[]> {
  const what = describeSpec(spec, index);
  const table = requireTable(model, spec.table, what);
  const column = requireColumn(table, spec.column, what);
  const c = ctx.col(column.name);
  const label = `${sourceLabel(table)}.${column.name}`;
  const policy = spec.policy ?? 'warn';
  let where: string;
  let params: unknown[] = [];
  let rule: string;
  let hereRegex: RegExp | undefined;

  switch (spec.check) {
    case 'notNull':
      where = `${c} IS NULL`;
      rule = 'are NULL';
      break;
    case 'pattern': {
      if (!spec.pattern) throw new BadInputError(`${what}: "pattern" is required`);
      const predicate = ctx.dialect.notMatching(c, ctx.dialect.param(1));
      where = `${c} IS NOT NULL AND ${predicate}`;
      if (!predicate) {
        // No regex operator in the source's SQL: the values are matched here (JavaScript syntax, unanchored like ~).
        try {
          hereRegex = new RegExp(spec.pattern, 'u');
        } catch (err) {
          throw new BadInputError(`${what}: pattern is not a valid regular expression: ${(err as Error).message}`);
        }
      }
      params = [spec.pattern];
      rule = `do not match /${spec.pattern}/`;
      break;
    }
    case 'range': {
      if (spec.min === undefined && spec.max === undefined) throw new BadInputError(`${what}: "min" or "max" is required`);
      const parts: string[] = [];
      const bound = (v: string | number): string => {
        if (typeof v === 'string' && v.trim().toLowerCase() === 'now') return ctx.dialect.now(column.sourceType);
        params.push(v);
        return ctx.dialect.param(params.length);
      };
      if (spec.min !== undefined) parts.push(`${c} < ${bound(spec.min)}`);
      if (spec.max !== undefined) parts.push(`${c} > ${bound(spec.max)}`);
      where = `${c} IS NOT NULL AND (${parts.join(' OR ')})`;
      rule = `are outside [${spec.min ?? '-inf'}, ${spec.max ?? '+inf'}]`;
      break;
    }
    case 'unique': {
      const from = ctx.from(table, 'd');
      const dc = ctx.col(column.name, 'd');
      where = `${c} IN (SELECT ${dc} FROM ${from} WHERE ${dc} IS NOT NULL GROUP BY ${dc} HAVING count(*) > 1)`;
      rule = 'share their value with another row';
      break;
    }
    case 'references': {
      if (!spec.references) throw new BadInputError(`${what}: "references" { table, column } is required`);
      const parent = requireTable(model, spec.references.table, `${what} references`);
      const parentCol = requireColumn(parent, spec.references.column, `${what} references`);
      where = orphanPredicate(ctx, [column.name], ctx.from(parent, 'p'), [parentCol.name]);
      params = [];
      rule = `have no matching ${sourceLabel(parent)}.${parentCol.name}`;
      break;
    }
    default:
      throw new BadInputError(`${what}: unknown check "${(spec as { check: string }).check}"`);
  }

  const { count, sampleKeys } = hereRegex
    ? await ctx.notMatchingHere(table, column.name, hereRegex, what)
    : await ctx.matching(table, where, params, what);
  if (count === 0) return [];
  return [ctx.finding({
    check: spec.check, table: sourceLabel(table), column: column.name, count, sampleKeys, policy,
    message: `${label}: ${count} rows ${rule}`,
  })];
}
