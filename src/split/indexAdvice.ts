import type { SchemaModel, TableModel } from '../engines/schemaModel';
import { planTableName, type SplitPlan } from '../contract/splitPlan';
import { leadingIndex, tableRole, tenantIndex } from './sliceSql';

/**
 * Where a tenant slice cannot be found through an index, so every slice would scan a shared table:
 * a rooted table with no index starting with its tenant column, or a table on a reached path with
 * no index starting with the FK column the path follows back. Each with the CREATE INDEX that fixes
 * it, for `tmig split plan` and the slice notes. Pure; runs no query.
 */

export interface ScanWarning {
  /** `schema.table` that would be scanned. */
  table: string;
  column: string;
  /** The reached tables whose slices scan it (the table itself when it is rooted or reached). */
  for: string[];
  createIndex: string;
  message: string;
}

function createIndexSql(kind: string, t: TableModel, columns: string[]): string {
  const name = `ix_${t.name}_${columns.join('_')}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 63);
  if (kind === 'mssql') {
    const q = (s: string) => '[' + s.replace(/]/g, ']]') + ']';
    return `CREATE INDEX ${q(name)} ON ${q(t.schema)}.${q(t.name)} (${columns.map(q).join(', ')});`;
  }
  const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';
  return `CREATE INDEX ${q(name)} ON ${q(t.schema)}.${q(t.name)} (${columns.map(q).join(', ')});`;
}

export function sliceScanWarnings(model: SchemaModel, plan: SplitPlan): ScanWarning[] {
  const tables = new Map(model.tables.map((t) => [planTableName(t), t]));
  const found = new Map<string, ScanWarning>();
  const warn = (n: string, column: string, forTable: string, columns: string[], why: string) => {
    const t = tables.get(n);
    if (!t) return;
    const id = `${n}\u0000${column}`;
    const w = found.get(id);
    if (w) {
      if (!w.for.includes(forTable)) w.for.push(forTable);
      return;
    }
    found.set(id, { table: n, column, for: [forTable], createIndex: createIndexSql(model.sourceKind, t, columns),
      message: `${n}: no index starts with ${column}, so ${why} scans ${n} (~${t.estimatedRows} rows) for every tenant` });
  };
  for (const t of model.tables) {
    const n = planTableName(t);
    const role = tableRole(plan, t);
    if (role.kind === 'rooted' && !tenantIndex(t, role.column)) {
      warn(n, role.column, n, [role.column, ...(t.key ?? []).filter((k) => k !== role.column)], 'each slice of it');
    }
    if (role.kind === 'reached') {
      for (const s of role.path.steps) {
        const from = tables.get(s.from);
        if (from && !leadingIndex(from, s.columns[0])) {
          warn(s.from, s.columns[0], n, s.columns, s.from === n ? 'each slice of it' : `each slice of ${n} (reached through it)`);
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column));
}
