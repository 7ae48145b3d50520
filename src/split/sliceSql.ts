import type { TableModel } from '../engines/schemaModel';
import type { SplitPath, SplitPlan } from '../contract/splitPlan';
import { planTableName } from '../contract/splitPlan';

/**
 * SQL text of a tenant slice in the source's dialect: the tenant predicate of a rooted table,
 * the semi-join of a reached table along its FK path, and the per-path "tenant of this row"
 * expression the accounting uses. Pure string building; the engines run it.
 */

export interface SliceDialect {
  kind: 'postgres' | 'mssql';
  ident(name: string): string;
  /** A tenant key value as a literal of the column's source type (so an index on the column is used). */
  literal(value: string, sourceType: string): string;
}

export const pgSliceDialect: SliceDialect = {
  kind: 'postgres',
  ident: (n) => '"' + n.replace(/"/g, '""') + '"',
  literal: (v, type) => {
    if (v.includes('\0')) throw new Error('NUL byte in a tenant key value');
    return `'${v.replace(/'/g, "''")}'::${type}`;
  },
};

export const mssqlSliceDialect: SliceDialect = {
  kind: 'mssql',
  ident: (n) => '[' + n.replace(/]/g, ']]') + ']',
  literal: (v, type) => `CAST(N'${v.replace(/'/g, "''")}' AS ${type})`,
};

export function sliceDialect(kind: string): SliceDialect {
  if (kind === 'postgres') return pgSliceDialect;
  if (kind === 'mssql') return mssqlSliceDialect;
  throw new Error(`split: no slice dialect for source kind ${kind}`);
}

export type TableRole =
  | { kind: 'rooted'; column: string }
  | { kind: 'reached'; path: SplitPath }
  | { kind: 'shared' }
  | { kind: 'excluded' };

export function tableRole(plan: SplitPlan, table: Pick<TableModel, 'schema' | 'name'>): TableRole {
  const n = planTableName(table);
  if (plan.excluded.includes(n)) return { kind: 'excluded' };
  if (plan.shared.includes(n)) return { kind: 'shared' };
  if (n in plan.rooted) return { kind: 'rooted', column: plan.rooted[n] };
  if (n in plan.reached) return { kind: 'reached', path: plan.reached[n] };
  throw new Error(`split plan: table ${n} is neither rooted, reached, shared nor excluded`);
}

export type TableLookup = (planName: string) => TableModel;

function qualifiedOf(d: SliceDialect, planName: string, tables: TableLookup): string {
  const t = tables(planName);
  return `${d.ident(t.schema)}.${d.ident(t.name)}`;
}

function columnType(tables: TableLookup, planName: string, column: string): string {
  const c = tables(planName).columns.find((x) => x.name === column);
  if (!c) throw new Error(`split plan: table ${planName} has no column ${column}`);
  return c.sourceType;
}

/**
 * The joins of a path, from the outer row (`outer` qualifies its columns) to the rooted table:
 * `FROM T1 s1 JOIN T2 s2 ON ...` with the outer match in `where`, and the rooted table's tenant
 * column as `tenant`.
 */
export function pathJoin(d: SliceDialect, plan: SplitPlan, path: SplitPath, outer: string, tables: TableLookup): { from: string; where: string; tenant: string; tenantType: string } {
  const parts: string[] = [];
  let where = '';
  let prev = outer;
  path.steps.forEach((s, i) => {
    const alias = `s${i + 1}`;
    const on = s.columns.map((c, j) => `${alias}.${d.ident(s.refColumns[j])} = ${prev}.${d.ident(c)}`).join(' AND ');
    if (i === 0) {
      parts.push(`${qualifiedOf(d, s.to, tables)} ${alias}`);
      where = on;
    } else {
      parts.push(`JOIN ${qualifiedOf(d, s.to, tables)} ${alias} ON ${on}`);
    }
    prev = alias;
  });
  const last = path.steps[path.steps.length - 1].to;
  const column = plan.rooted[last];
  if (!column) throw new Error(`split plan: path ends at ${last}, which is not rooted`);
  return { from: parts.join(' '), where, tenant: `${prev}.${d.ident(column)}`, tenantType: columnType(tables, last, column) };
}

/**
 * The WHERE condition selecting one tenant's rows of a table, referring to the table by its
 * qualified name (the chunk queries do not alias it); null for a shared table (all rows).
 */
export function slicePredicate(d: SliceDialect, plan: SplitPlan, table: TableModel, tenantValue: string, tables: TableLookup): string | null {
  const role = tableRole(plan, table);
  const self = `${d.ident(table.schema)}.${d.ident(table.name)}`;
  switch (role.kind) {
    case 'shared': return null;
    case 'excluded': throw new Error(`split plan: table ${planTableName(table)} is excluded and is not read`);
    case 'rooted': {
      const type = columnType(tables, planTableName(table), role.column);
      return `${self}.${d.ident(role.column)} = ${d.literal(tenantValue, type)}`;
    }
    case 'reached': {
      const j = pathJoin(d, plan, role.path, self, tables);
      const conds = [`EXISTS (SELECT 1 FROM ${j.from} WHERE ${j.where} AND ${j.tenant} = ${d.literal(tenantValue, j.tenantType)})`];
      if (plan.onTwoTenants === 'skip') {
        // Rows that also reach another tenant stay behind (reported): copied, they would break an FK.
        for (const p of [role.path, ...(plan.alternatePaths[planTableName(table)] ?? [])]) {
          const a = pathJoin(d, plan, p, self, tables);
          conds.push(`NOT EXISTS (SELECT 1 FROM ${a.from} WHERE ${a.where} AND ${a.tenant} <> ${d.literal(tenantValue, a.tenantType)})`);
        }
      }
      return conds.join(' AND ');
    }
  }
}

/** An index that starts with the tenant column; `withKey` when the table's key follows it. */
export function tenantIndex(table: TableModel, column: string): { name: string; withKey: boolean } | null {
  let best: { name: string; withKey: boolean } | null = null;
  for (const ix of table.indexes) {
    if (ix.where || ix.columns[0]?.name !== column) continue;
    const rest = ix.columns.slice(1).map((c) => c.name);
    // With the tenant fixed, keyset order is the key without the tenant column.
    const withKey = !!table.key && table.key.filter((k) => k !== column).every((k, i) => rest[i] === k);
    if (!best || (withKey && !best.withKey)) best = { name: ix.name, withKey };
  }
  return best;
}

/** An index whose leading columns are the first step's FK columns (the semi-join can seek it). */
export function pathIndex(table: TableModel, path: SplitPath): string | null {
  const cols = path.steps[0].columns;
  const ix = table.indexes.find((i) => !i.where && cols.every((c, k) => i.columns[k]?.name === c));
  return ix?.name ?? null;
}
