import type { AuditDialect } from '../auditDialect';

import { quoteIdent } from './quoting';

const INTEGER_MAX: Record<string, bigint> = {
  smallint: 32767n,
  int2: 32767n,
  integer: 2147483647n,
  int: 2147483647n,
  int4: 2147483647n,
  bigint: 9223372036854775807n,
  int8: 9223372036854775807n,
  smallserial: 32767n,
  serial: 2147483647n,
  bigserial: 9223372036854775807n,
};

/** PostgreSQL source SQL for the audit. */
export const postgresAuditDialect: AuditDialect = {
  kind: 'postgres',
  quoteIdent,
  // ONLY: an inheritance parent's own rows, not its children's (they are audited as tables of their own).
  qualifiedTable: (schema, name) => `ONLY ${quoteIdent(schema)}.${quoteIdent(name)}`,
  param: (n) => `$${n}`,
  asText: (expr) => `(${expr})::text`,
  rowLocator: (alias) => ({ label: 'ctid', expr: `${alias}.ctid` }),
  rowBytes: (alias) => `pg_column_size(${alias}.*)`,
  notMatching: (expr, param) => `NOT ((${expr})::text ~ ${param})`,
  now: () => 'now()',
  // 2201B invalid regex, 22P02/22007/22008 bad literal, 42883 no such operator for the literal's type.
  isBadInput: (err) => ['2201B', '22P02', '22007', '22008', '42883'].includes((err as { code?: string }).code ?? ''),
  identityCurrentQuery(schema, table, column) {
    const qt = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    // The sequence may be ahead of the column (rolled back inserts): both count toward overflow.
    return {
      sql: `SELECT GREATEST((SELECT max(${quoteIdent(column)}) FROM ONLY ${qt})::numeric,
                 pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)::numeric)::text AS current`,
      params: [qt, column],
    };
  },
  integerTypeMax(sourceType) {
    const t = sourceType.trim().toLowerCase();
    if (t in INTEGER_MAX) return INTEGER_MAX[t];
    const m = /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*0\s*)?\)$/.exec(t);
    return m ? 10n ** BigInt(m[1]) - 1n : null;
  },
  countAndSample(from, where, sampleExprs, limit) {
    const keys = sampleExprs.map((e, i) => `(${e})::text AS k${i}`).join(', ');
    const order = sampleExprs.map((e) => e).join(', ');
    return `SELECT count(*) OVER () AS total${keys ? ', ' + keys : ''} FROM ${from} WHERE ${where}` +
      `${order ? ` ORDER BY ${order}` : ''} LIMIT ${Math.max(1, Math.floor(limit))}`;
  },
};
