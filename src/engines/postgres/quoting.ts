import type { KeyOrder } from '../schemaModel';

/** SQL text helpers for PostgreSQL. COPY cannot take bind parameters, so literals are escaped here. */

/** PostgreSQL identifier quoting: always quoted, so case and reserved words survive. The one place it is written. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return '"' + name.replace(/"/g, '""') + '"';
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A table's own rows, without those of inheritance children: `FROM parent` would also read every
 * child, and children are copied as tables of their own (their rows would land twice).
 */
export function onlyTable(schema: string, name: string): string {
  return `ONLY ${qualified(schema, name)}`;
}

/** String literal; sessions run with standard_conforming_strings = on, so backslashes are literal. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte in a key value cannot be sent to PostgreSQL');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * SQL Server's uniqueidentifier order as a bytea that sorts the same: the byte groups of the text
 * form `aabbccdd-eeff-gghh-iijj-kkllmmnnoopp` from the right (kk..pp, ii jj), the first three
 * groups with their bytes reversed (hh gg, ff ee, dd cc bb aa) because SQL Server stores them
 * little-endian (SqlGuid compares bytes 10-15, 8-9, 6-7, 4-5, 0-3 of Guid.ToByteArray()).
 */
export function sqlServerGuidOrder(uuidExpr: string): string {
  const x = `(${uuidExpr})::text`;
  const parts = [[25, 12], [20, 4], [17, 2], [15, 2], [12, 2], [10, 2], [7, 2], [5, 2], [3, 2], [1, 2]];
  return `decode(${parts.map(([from, n]) => `substr(${x}, ${from}, ${n})`).join(' || ')}, 'hex')`;
}

/** A key column as ordered in chunk queries (see TableModel.keyOrder). */
export function keyExpr(column: string, order: KeyOrder = 'natural'): string {
  if (order === 'binary') return `${quoteIdent(column)} COLLATE "C"`;
  if (order === 'sqlserver-guid') return sqlServerGuidOrder(quoteIdent(column));
  return quoteIdent(column);
}

/** A key value, as a literal of the key's type, ordered like keyExpr orders the column. */
export function keyValueExpr(value: string, type: string, order: KeyOrder = 'natural'): string {
  const lit = `${quoteLiteral(value)}::${type}`;
  if (order === 'sqlserver-guid') return sqlServerGuidOrder(lit);
  return lit;
}

/** Row-comparison over a key: `(k1, k2) > ('a'::int, 'b'::text)`. */
export function keyCompare(keyCols: string[], keyTypes: string[], op: '>' | '<=' | '>=', values: string[], orders: KeyOrder[] = []): string {
  const lhs = keyCols.map((c, i) => keyExpr(c, orders[i])).join(', ');
  const rhs = values.map((v, i) => keyValueExpr(v, keyTypes[i], orders[i])).join(', ');
  return `(${lhs}) ${op} (${rhs})`;
}
