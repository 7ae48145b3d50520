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

/** Marks where a keyset bound may be added inside a reached table's driving subquery (see boundFilter). */
export const BOUND_MARKER = '/*tmig:keyset-bound*/';

const INTEGER_TYPE = /^(tinyint|smallint|int|integer|bigint|int2|int4|int8)$/i;

/** An index whose first column is `column` (no partial index): a membership test on it seeks. */
export function leadingIndex(t: TableModel, column: string): string | null {
  return t.indexes.find((i) => !i.where && i.columns[0]?.name === column)?.name ?? null;
}

/**
 * `expr` belongs to the values `subquery` yields. PostgreSQL gets `= ANY (ARRAY(subquery))` when an
 * index leads with the column: the subquery runs once (an InitPlan) and the index is probed per
 * value, whatever the planner estimates (as a semi-join, it hashes the subquery and scans the
 * whole table for any tenant above a few hundred keys). Without such an index, and on SQL Server
 * (whose optimizer seeks a semi-join by itself), a plain `IN (subquery)`.
 */
function membership(d: SliceDialect, expr: string, subquery: string, seekable: boolean): string {
  return d.kind === 'postgres' && seekable ? `${expr} = ANY (ARRAY(${subquery}))` : `${expr} IN (${subquery})`;
}

/**
 * The tenant's values of `steps[i].refColumns[0]` in `steps[i].to`, driven from the tenant key: the
 * rooted table is entered by its tenant column, every hop back by an index on its FK column.
 */
function tenantValues(d: SliceDialect, plan: SplitPlan, path: SplitPath, i: number, value: string, tables: TableLookup, marker: boolean): string {
  const s = path.steps[i];
  const alias = `s${i + 1}`;
  let cond: string;
  if (i === path.steps.length - 1) {
    const column = plan.rooted[s.to];
    if (!column) throw new Error(`split plan: path ends at ${s.to}, which is not rooted`);
    cond = `${alias}.${d.ident(column)} = ${d.literal(value, columnType(tables, s.to, column))}`;
  } else {
    const next = path.steps[i + 1];
    cond = membership(d, `${alias}.${d.ident(next.columns[0])}`, tenantValues(d, plan, path, i + 1, value, tables, false), !!leadingIndex(tables(s.to), next.columns[0]));
  }
  return `SELECT ${alias}.${d.ident(s.refColumns[0])} FROM ${qualifiedOf(d, s.to, tables)} ${alias} WHERE ${cond}${marker ? BOUND_MARKER : ''}`;
}

/**
 * A reached table whose first key column is its first FK column (an integer) can carry the chunk's
 * keyset bound into the driving subquery, so each chunk probes only the keys from its position on
 * instead of every key of the tenant. The bound is implied by the keyset condition: same rows.
 */
export function keyBound(d: SliceDialect, plan: SplitPlan, table: TableModel, tables: TableLookup): { expression: string; type: string } | null {
  const role = tableRole(plan, table);
  if (role.kind !== 'reached' || !table.key?.length) return null;
  const s0 = role.path.steps[0];
  const keyType = columnType(tables, planTableName(table), table.key[0]);
  if (table.key[0] !== s0.columns[0] || !INTEGER_TYPE.test(keyType) || !INTEGER_TYPE.test(columnType(tables, s0.to, s0.refColumns[0]))) return null;
  if (table.keyOrder?.some((o) => o !== 'natural')) return null;
  return { expression: `s1.${d.ident(s0.refColumns[0])}`, type: keyType };
}

/**
 * The WHERE condition selecting one tenant's rows of a table, referring to the table by its
 * qualified name (the chunk queries do not alias it); null for a shared table (all rows).
 * A reached table is a membership test on its first FK column, nested hop by hop to the tenant
 * column, so the slice is found from the tenant key through indexes; a path with a composite FK
 * adds the exact EXISTS over the whole path (the membership narrows by the first column only).
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
      const s0 = role.path.steps[0];
      const bound = keyBound(d, plan, table, tables) !== null;
      const conds = [membership(d, `${self}.${d.ident(s0.columns[0])}`, tenantValues(d, plan, role.path, 0, tenantValue, tables, bound), !!leadingIndex(table, s0.columns[0]))];
      if (role.path.steps.some((s) => s.columns.length > 1)) {
        const j = pathJoin(d, plan, role.path, self, tables);
        conds.push(`EXISTS (SELECT 1 FROM ${j.from} WHERE ${j.where} AND ${j.tenant} = ${d.literal(tenantValue, j.tenantType)})`);
      }
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

/**
 * The slice condition of one chunk: the stored filter with the keyset bound (range, after, upTo on
 * the first key column) placed in its driving subquery, when the table has one (see keyBound).
 */
export function boundFilter(d: SliceDialect, table: TableModel, b: { range?: { lo: string | null; hi: string | null }; after?: readonly (string | null)[] | null; upTo?: readonly (string | null)[] | null }): string | undefined {
  const f = table.rowFilter;
  const kb = table.rowFilterKeyBound;
  if (!f || !kb || f.split(BOUND_MARKER).length !== 2) return f;
  const int = (v: string | null | undefined) => (typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? v : null);
  const conds: string[] = [];
  const add = (op: string, v: string | null | undefined) => {
    const x = int(v);
    if (x !== null) conds.push(`${kb.expression} ${op} ${d.literal(x, kb.type)}`);
  };
  add('>', b.range?.lo);
  add('<=', b.range?.hi);
  add('>=', b.after?.[0]);
  add('<=', b.upTo?.[0]);
  return conds.length ? f.replace(BOUND_MARKER, () => ` AND ${conds.join(' AND ')}`) : f;
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
