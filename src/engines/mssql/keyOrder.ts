// Key orders both engines agree on, for SQL Server key columns: natural for numbers and dates,
// binary for text, SQL Server's own order for uniqueidentifier (matched by the PostgreSQL side).
import type { KeyOrder } from '../schemaModel';
import type { TypeMapping } from './typeMapping';
import type { ServerFlavor } from './serverFlavor';

/** The binary collation text keys are compared in (UTF-16 code units; PostgreSQL compares with COLLATE "C"). */
export const BINARY_COLLATION = 'Latin1_General_BIN2';

/**
 * How a key column of this mapping is paged, or null when no order agrees between the engines
 * (binary, xml, ...). uniqueidentifier: SQL Server sorts it by byte groups (`sqlserver-guid`,
 * matched by the PostgreSQL read-back expression); Babelfish sorts it like PostgreSQL's uuid
 * (its text, left to right), so there it is `natural`.
 */
export function keyOrderOf(m: Pick<TypeMapping, 'kind' | 'orderSafe'>, flavor: ServerFlavor = 'sqlserver'): KeyOrder | null {
  if (m.orderSafe) return 'natural';
  if (m.kind === 'text' || m.kind === 'char') return 'binary';
  if (m.kind === 'uuid') return flavor === 'babelfish' ? 'natural' : 'sqlserver-guid';
  return null;
}

/** A key column (quoted identifier) as it is ordered and compared in T-SQL. */
export function msKeyExpr(ident: string, order: KeyOrder, sourceType: string): string {
  switch (order) {
    case 'natural': return ident;
    // varchar compares by code-page bytes even under BIN2: compare its Unicode form instead.
    case 'binary': return /^((var)?char|text)\b/i.test(sourceType)
      ? `CONVERT(nvarchar(4000), ${ident}) COLLATE ${BINARY_COLLATION}`
      : `${ident} COLLATE ${BINARY_COLLATION}`;
    // The server's own order (index seeks); a Babelfish model never asks for it.
    case 'sqlserver-guid': return ident;
    default: return ident;
  }
}

/** A key value (an expression of the column's type, e.g. CONVERT(uniqueidentifier, @k0)) ordered like msKeyExpr. */
export function msKeyValue(valueExpr: string, order: KeyOrder): string {
  switch (order) {
    case 'natural': return valueExpr;
    case 'binary': return `CONVERT(nvarchar(4000), ${valueExpr}) COLLATE ${BINARY_COLLATION}`;
    case 'sqlserver-guid': return valueExpr;
    default: return valueExpr;
  }
}
