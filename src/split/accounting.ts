import type { SchemaModel } from '../engines/schemaModel';
import type { SplitPlan } from '../contract/splitPlan';
import { planTableName } from '../contract/splitPlan';
import { accountingQuery } from './accountingSql';
import { tableRole, type SliceDialect } from './sliceSql';

/**
 * The split accounting of one shared source: every row of every table is either in exactly one
 * tenant's slice, in a shared table, or reported (no tenant, an unknown tenant, two tenants).
 * Reports counts only; sample keys only when the plan sets reportKeys (keys may be personal data).
 */

export interface TableAccounting {
  table: string;
  role: 'rooted' | 'reached' | 'shared' | 'excluded';
  sourceRows: number;
  /** Rows per tenant of the wave (by the chosen path). */
  tenantRows: Record<string, number>;
  /** Rows with no tenant (NULL tenant column, or a path that reaches no tenant row). */
  noTenantRows: number;
  /** Rows of tenants that are not in the wave's tenant list. */
  unknownTenantRows: number;
  unknownTenants: number;
  /** Rows whose paths reach two different tenants (in no slice when the plan skips them). */
  twoTenantRows: number;
  sampleKeys?: { noTenant: string[][]; twoTenants: string[][] };
  /** sourceRows = sum of tenantRows + noTenantRows + unknownTenantRows + twoTenantRows (shared: copied whole). */
  balanced: boolean;
}

export interface SplitAccounting {
  tables: TableAccounting[];
  tenants: string[];
  /** Problems the plan's policies turn into a failed wave (empty when the wave may pass). */
  failures: string[];
  /** Problems reported and let through by the plan (onOrphans/onTwoTenants: skip). */
  warnings: string[];
}

export type RunQuery = (sql: string) => Promise<Record<string, unknown>[]>;

export async function accountSource(run: RunQuery, d: SliceDialect, model: SchemaModel, plan: SplitPlan, tenants: string[]): Promise<SplitAccounting> {
  const byName = new Map(model.tables.map((t) => [planTableName(t), t]));
  const lookup = (n: string) => byName.get(n)!;
  const wanted = new Set(tenants);
  const out: TableAccounting[] = [];
  for (const t of model.tables) {
    const role = tableRole(plan, t).kind;
    const q = accountingQuery(d, plan, t, lookup);
    const acc: TableAccounting = { table: planTableName(t), role, sourceRows: 0, tenantRows: {}, noTenantRows: 0,
      unknownTenantRows: 0, unknownTenants: 0, twoTenantRows: 0, balanced: true };
    if (!q) {
      const r = await run(`SELECT COUNT(*) AS n FROM ${d.ident(t.schema)}.${d.ident(t.name)}`);
      acc.sourceRows = Number(r[0].n);
      out.push(acc);
      continue;
    }
    for (const row of await run(q.sql)) {
      const n = Number(row.n);
      const tenant = row.tenant === null ? null : String(row.tenant);
      acc.sourceRows += n;
      if (Number(row.multi) === 1) acc.twoTenantRows += n;
      else if (tenant === null) acc.noTenantRows += n;
      else if (wanted.has(tenant)) acc.tenantRows[tenant] = (acc.tenantRows[tenant] ?? 0) + n;
      else { acc.unknownTenantRows += n; acc.unknownTenants++; }
    }
    const sum = Object.values(acc.tenantRows).reduce((s, n) => s + n, 0);
    acc.balanced = acc.sourceRows === sum + acc.noTenantRows + acc.unknownTenantRows + acc.twoTenantRows;
    if (plan.reportKeys && q.sampleSql && (acc.noTenantRows || acc.twoTenantRows)) {
      const sample = async (cond: string) => (await run(q.sampleSql!.replace('{cond}', cond).replace('{limit}', '5')))
        .map((r) => Object.values(r).map((v) => String(v)));
      acc.sampleKeys = { noTenant: acc.noTenantRows ? await sample('tenant IS NULL') : [], twoTenants: acc.twoTenantRows ? await sample('multi = 1') : [] };
    }
    out.push(acc);
  }
  return { tables: out, tenants, ...verdict(out, plan) };
}

/** Turns the counts into failures (the plan says fail, the default) or warnings (the plan says skip). */
export function verdict(tables: TableAccounting[], plan: SplitPlan): Pick<SplitAccounting, 'failures' | 'warnings'> {
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const t of tables) {
    if (t.noTenantRows || t.unknownTenantRows) {
      const msg = `table ${t.table}: ${t.noTenantRows} rows with no tenant, ${t.unknownTenantRows} rows of ${t.unknownTenants} tenants not in the wave`;
      (plan.onOrphans === 'fail' ? failures : warnings).push(msg);
    }
    if (t.twoTenantRows) {
      const msg = `table ${t.table}: ${t.twoTenantRows} rows reach two tenants by different paths (copied to none)`;
      (plan.onTwoTenants === 'fail' ? failures : warnings).push(msg);
    }
    if (!t.balanced) failures.push(`table ${t.table}: accounting does not add up (source ${t.sourceRows} rows)`);
  }
  return { failures, warnings };
}

/**
 * The wave's check after the copy: each tenant's target holds exactly its slice of every
 * non-shared table and all rows of every shared table. `targetRows[tenant][table]`.
 */
export function checkTargets(acc: SplitAccounting, targetRows: Record<string, Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const tenant of acc.tenants) {
    const got = targetRows[tenant];
    if (!got) { problems.push(`tenant ${tenant}: no target counts`); continue; }
    for (const t of acc.tables) {
      if (t.role === 'excluded') continue;
      const want = t.role === 'shared' ? t.sourceRows : t.tenantRows[tenant] ?? 0;
      if ((got[t.table] ?? 0) !== want) problems.push(`tenant ${tenant}: table ${t.table} has ${got[t.table] ?? 0} rows, its slice has ${want}`);
    }
  }
  return problems;
}
