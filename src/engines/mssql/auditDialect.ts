import type { AuditDialect } from '../auditDialect';

import { msIdent as quoteIdent } from './identifiers';

const INTEGER_MAX: Record<string, bigint> = {
  tinyint: 255n,
  smallint: 32767n,
  int: 2147483647n,
  bigint: 9223372036854775807n,
};

// 241/242 date conversion, 245 conversion, 8114/8115 numeric conversion/overflow: the manifest's literal is wrong.
const BAD_INPUT_NUMBERS = new Set([241, 242, 245, 8114, 8115]);

/**
 * SQL Server source SQL for the audit (T-SQL; parameters are bound as @p1, @p2, ... by the
 * query function). T-SQL has no regex operator before SQL Server 2025 (and Babelfish has none):
 * pattern checks read the column and match in the worker (AuditContext.notMatchingHere).
 */
export const mssqlAuditDialect: AuditDialect = {
  kind: 'mssql',
  quoteIdent,
  qualifiedTable: (schema, name) => `${quoteIdent(schema)}.${quoteIdent(name)}`,
  param: (n) => `@p${n}`,
  asText: (expr) => `CONVERT(nvarchar(4000), ${expr})`,
  // %%physloc%% is undocumented: tables without a key get no sample keys.
  rowLocator: () => null,
  rowBytes: (_alias, columns) => columns.length
    ? `(${columns.map((c) => `ISNULL(CAST(DATALENGTH(${c}) AS bigint), 0)`).join(' + ')})`
    : '0',
  notMatching: () => null,
  now: (columnType) => (/^datetimeoffset/i.test(columnType) ? 'SYSDATETIMEOFFSET()' : 'SYSDATETIME()'),
  isBadInput: (err) => BAD_INPUT_NUMBERS.has(Number((err as { number?: number }).number)),
  identityCurrentQuery(schema, table, column) {
    const qt = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    // IDENT_CURRENT is ahead of MAX() after rolled-back inserts; both count toward overflow.
    return {
      sql: `SELECT CONVERT(nvarchar(50), (SELECT MAX(v) FROM (VALUES (CONVERT(decimal(38,0), IDENT_CURRENT(@p1))),
              ((SELECT CONVERT(decimal(38,0), MAX(${quoteIdent(column)})) FROM ${qt}))) AS x(v))) AS [current]`,
      params: [qt],
    };
  },
  integerTypeMax(sourceType) {
    const t = sourceType.trim().toLowerCase();
    if (t in INTEGER_MAX) return INTEGER_MAX[t];
    if (t === 'decimal' || t === 'numeric') return 10n ** 18n - 1n;
    const m = /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*0\s*)?\)$/.exec(t);
    return m ? 10n ** BigInt(m[1]) - 1n : null;
  },
  countAndSample(from, where, sampleExprs, limit) {
    const keys = sampleExprs.map((e, i) => `, CONVERT(nvarchar(4000), ${e}) AS k${i}`).join('');
    const order = sampleExprs.length ? ` ORDER BY ${sampleExprs.join(', ')}` : '';
    return `SELECT TOP (${Math.max(1, Math.floor(limit))}) COUNT_BIG(*) OVER () AS total${keys} FROM ${from} WHERE ${where}${order}`;
  },
};
