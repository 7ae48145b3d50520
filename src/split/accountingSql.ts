import type { TableModel } from '../engines/schemaModel';
import type { SplitPlan } from '../contract/splitPlan';
import { planTableName } from '../contract/splitPlan';
import { pathJoin, tableRole, type SliceDialect, type TableLookup } from './sliceSql';

/**
 * SQL of the split accounting: per table, rows grouped by the tenant they belong to (by the
 * chosen path), with the rows whose paths reach two different tenants counted. One read of each
 * table for the whole wave, never one per tenant.
 */

export interface AccountingQuery {
  table: string;
  /** Rows: tenant (text, NULL for no tenant), multi (1: the row reaches two tenants), n (rows). */
  sql: string;
  /** Select of sample keys; `{cond}` is replaced by `orphan` or `multi`, `{limit}` by the limit. */
  sampleSql: string | null;
}

const TEXT = (d: SliceDialect) => (d.kind === 'mssql' ? 'nvarchar(400)' : 'text');

/** The columns are the table's key or a unique index of it (a join on them matches at most one row). */
function uniqueIn(t: TableModel, columns: string[]): boolean {
  const same = (cols: string[]) => cols.length === columns.length && cols.every((c) => columns.includes(c));
  return (!!t.key && same(t.key)) || t.indexes.some((i) => i.unique && !i.where && same(i.columns.map((c) => c.name)));
}

export function accountingQuery(d: SliceDialect, plan: SplitPlan, table: TableModel, tables: TableLookup): AccountingQuery | null {
  const role = tableRole(plan, table);
  if (role.kind === 'shared' || role.kind === 'excluded') return null;
  const n = planTableName(table);
  const self = `${d.ident(table.schema)}.${d.ident(table.name)}`;
  const keyCols = (table.key ?? []).map((k) => `CAST(${self}.${d.ident(k)} AS ${TEXT(d)}) AS ${d.ident('k_' + k)}`);
  let inner: string;
  let multi: string;
  if (role.kind === 'rooted') {
    inner = `SELECT CAST(${self}.${d.ident(role.column)} AS ${TEXT(d)}) AS tenant, 0 AS multi${keyCols.length ? ', ' + keyCols.join(', ') : ''} FROM ${self}`;
    multi = '0';
  } else {
    const paths = [role.path, ...(plan.alternatePaths[n] ?? [])];
    const vals: string[] = [];
    const joins: string[] = [];
    paths.forEach((p, i) => {
      if (p.steps.every((s) => uniqueIn(tables(s.to), s.refColumns))) {
        // Every hop matches at most one row: LEFT JOINs the planner can hash (one read of each
        // table), instead of a subquery per row (an index probe per row and path).
        let prev = self;
        p.steps.forEach((s, j) => {
          const alias = `p${i}s${j + 1}`;
          const on = s.columns.map((c, k) => `${alias}.${d.ident(s.refColumns[k])} = ${prev}.${d.ident(c)}`).join(' AND ');
          joins.push(`LEFT JOIN ${d.ident(tables(s.to).schema)}.${d.ident(tables(s.to).name)} ${alias} ON ${on}`);
          prev = alias;
        });
        const last = p.steps[p.steps.length - 1].to;
        const tenant = `CAST(${prev}.${d.ident(plan.rooted[last])} AS ${TEXT(d)})`;
        vals.push(`${tenant} AS a${i}`, `${tenant} AS b${i}`);
        return;
      }
      const j = pathJoin(d, plan, p, self, tables);
      const sub = (agg: string) => `(SELECT ${agg}(CAST(${j.tenant} AS ${TEXT(d)})) FROM ${j.from} WHERE ${j.where})`;
      vals.push(`${sub('MIN')} AS a${i}`, `${sub('MAX')} AS b${i}`);
    });
    const ref = `COALESCE(${paths.map((_, i) => `a${i}`).join(', ')}${paths.length === 1 ? ', a0' : ''})`;
    multi = paths.map((_, i) => `a${i} <> ${ref} OR b${i} <> ${ref}`).join(' OR ');
    const keys = (table.key ?? []).map((k) => d.ident('k_' + k));
    // A row's tenant is the one its chosen path (a0) reaches; several tenants over one path (a0 <> b0) also count as two.
    inner = `SELECT a0 AS tenant, CASE WHEN ${multi} THEN 1 ELSE 0 END AS multi${keys.length ? ', ' + keys.join(', ') : ''} FROM (SELECT ${vals.join(', ')}${keyCols.length ? ', ' + keyCols.join(', ') : ''} FROM ${self}${joins.length ? ' ' + joins.join(' ') : ''}) AS x`;
  }
  const sql = `SELECT tenant, multi, COUNT(*) AS n FROM (${inner}) AS y GROUP BY tenant, multi`;
  const keySel = (table.key ?? []).map((k) => d.ident('k_' + k)).join(', ');
  const sampleSql = keySel
    ? d.kind === 'mssql'
      ? `SELECT TOP ({limit}) ${keySel} FROM (${inner}) AS y WHERE {cond} ORDER BY ${keySel}`
      : `SELECT ${keySel} FROM (${inner}) AS y WHERE {cond} ORDER BY ${keySel} LIMIT {limit}`
    : null;
  return { table: n, sql, sampleSql };
}
