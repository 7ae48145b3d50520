// Key orders both engines agree on, for SQL Server key columns: natural for numbers and dates,
// binary for text, SQL Server's own order for uniqueidentifier (matched by the PostgreSQL side).
import type { KeyOrder } from '../model';
import type { TypeMapping } from './typeMapping';
import type { ServerFlavor } from './serverFlavor';

/** The binary collation text keys are compared in (UTF-16 code units; PostgreSQL compares with COLLATE "C"). */
export const BINARY_COLLATION = 'Latin1_General_BIN2';

/** How a key column of this mapping is paged, or null when no order agrees between the engines (binary, xml, ...). */
export function keyOrderOf(m: Pick<TypeMapping, 'kind' | 'orderSafe'>): KeyOrder | null {
  if (m.orderSafe) return 'natural';
  if (m.kind === 'text' || m.kind === 'char') return 'binary';
  if (m.kind === 'uuid') return 'sqlserver-guid';
  return null;
}

/**
 * Babelfish orders uniqueidentifier like PostgreSQL's uuid (the text, left to right), not like
 * SQL Server: there the SQL Server order is spelled out as text in the same byte-group order
 * PostgreSQL's sqlServerGuidOrder uses (upper-case hex sorts like bytes under a binary collation).
 */
function guidOrderText(expr: string): string {
  const x = `CONVERT(char(36), ${expr})`;
  const parts = [[25, 12], [20, 4], [17, 2], [15, 2], [12, 2], [10, 2], [7, 2], [5, 2], [3, 2], [1, 2]];
  return `(${parts.map(([from, n]) => `SUBSTRING(${x}, ${from}, ${n})`).join(' + ')}) COLLATE ${BINARY_COLLATION}`;
}

/** A key column (quoted identifier) as it is ordered and compared in T-SQL. */
export function msKeyExpr(ident: string, order: KeyOrder, sourceType: string, flavor: ServerFlavor): string {
  switch (order) {
    case 'natural': return ident;
    // varchar compares by code-page bytes even under BIN2: compare its Unicode form instead.
    case 'binary': return /^((var)?char|text)\b/i.test(sourceType)
      ? `CONVERT(nvarchar(4000), ${ident}) COLLATE ${BINARY_COLLATION}`
      : `${ident} COLLATE ${BINARY_COLLATION}`;
    case 'sqlserver-guid': return flavor === 'babelfish' ? guidOrderText(ident) : ident;
  }
}

/** A key value (an expression of the column's type, e.g. CONVERT(uniqueidentifier, @k0)) ordered like msKeyExpr. */
export function msKeyValue(valueExpr: string, order: KeyOrder, flavor: ServerFlavor): string {
  switch (order) {
    case 'natural': return valueExpr;
    case 'binary': return `CONVERT(nvarchar(4000), ${valueExpr}) COLLATE ${BINARY_COLLATION}`;
    case 'sqlserver-guid': return flavor === 'babelfish' ? guidOrderText(valueExpr) : valueExpr;
  }
}
