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
    paths.forEach((p, i) => {
      const j = pathJoin(d, plan, p, self, tables);
      const sub = (agg: string) => `(SELECT ${agg}(CAST(${j.tenant} AS ${TEXT(d)})) FROM ${j.from} WHERE ${j.where})`;
      vals.push(`${sub('MIN')} AS a${i}`, `${sub('MAX')} AS b${i}`);
    });
    const ref = `COALESCE(${paths.map((_, i) => `a${i}`).join(', ')}${paths.length === 1 ? ', a0' : ''})`;
    multi = paths.map((_, i) => `a${i} <> ${ref} OR b${i} <> ${ref}`).join(' OR ');
    const keys = (table.key ?? []).map((k) => d.ident('k_' + k));
    // A row's tenant is the one its chosen path (a0) reaches; several tenants over one path (a0 <> b0) also count as two.
    inner = `SELECT a0 AS tenant, CASE WHEN ${multi} THEN 1 ELSE 0 END AS multi${keys.length ? ', ' + keys.join(', ') : ''} FROM (SELECT ${vals.join(', ')}${keyCols.length ? ', ' + keyCols.join(', ') : ''} FROM ${self}) AS x`;
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
