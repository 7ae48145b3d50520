/** SQL text helpers for PostgreSQL. COPY cannot take bind parameters, so literals are escaped here. */

/** PostgreSQL identifier quoting: always quoted, so case and reserved words survive. The one place it is written. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return '"' + name.replace(/"/g, '""') + '"';
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** String literal; sessions run with standard_conforming_strings = on, so backslashes are literal. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte in a key value cannot be sent to PostgreSQL');
  return `'${value.replace(/'/g, "''")}'`;
}

/** Row-comparison over a key: `(k1, k2) > ('a'::int, 'b'::text)`. */
export function keyCompare(keyCols: string[], keyTypes: string[], op: '>' | '<=' | '>=', values: string[]): string {
  const lhs = keyCols.map(quoteIdent).join(', ');
  const rhs = values.map((v, i) => `${quoteLiteral(v)}::${keyTypes[i]}`).join(', ');
  return `(${lhs}) ${op} (${rhs})`;
}
