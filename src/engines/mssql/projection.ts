import type { ColumnModel } from '../schemaModel';
import { mapMsType, parseMsType, type TypeMapping } from './typeMapping';

/**
 * Per-column SELECT expressions that make the driver hand over values without precision
 * loss: exact numerics and date/times as text (the driver would give JS numbers/Dates),
 * special types through their textual forms. valueEncoding.ts turns the results into
 * PostgreSQL's canonical text.
 */

/** The mapping used for reading a model column (source type decides the projection, target type the encoding). */
export function readMapping(c: Pick<ColumnModel, 'sourceType' | 'targetType'>): TypeMapping {
  const m = mapMsType(parseMsType(c.sourceType === 'rowversion' ? 'timestamp' : c.sourceType));
  const charLen = /^\s*(?:character|char|bpchar)\s*\(\s*(\d+)\s*\)\s*$/i.exec(c.targetType);
  const frac = /^\s*(?:timestamp|time)\s*\((\d)\)/i.exec(c.targetType);
  return {
    ...m,
    targetType: c.targetType,
    charLength: charLen ? Number(charLen[1]) : (/^\s*(character|char|bpchar)\b/i.test(c.targetType) ? m.charLength : undefined),
    fraction: m.fraction === undefined ? undefined : Math.min(m.fraction, frac ? Number(frac[1]) : m.fraction),
  };
}

/** SELECT-list expression for a column expression `expr` (already quoted) of the given source type. */
export function projectionSql(expr: string, m: TypeMapping): string {
  switch (m.kind) {
    case 'bigint': return `CONVERT(varchar(20), ${expr})`;
    case 'numeric': return `CONVERT(varchar(50), ${expr})`;
    // Style 2: no thousands separators, four decimals.
    case 'money': return `CONVERT(varchar(30), ${expr}, 2)`;
    case 'date': return `CONVERT(char(10), ${expr}, 23)`;
    // Style 121: ODBC canonical with every fractional digit the type has.
    case 'time': return `CONVERT(varchar(16), ${expr}, 121)`;
    case 'timestamp': return `CONVERT(varchar(27), ${expr}, 121)`;
    case 'smalldatetime': return `CONVERT(varchar(19), ${expr}, 120)`;
    case 'timestamptz': return `CONVERT(varchar(34), ${expr}, 121)`;
    case 'uuid': return `CONVERT(char(36), ${expr})`;
    case 'xml': return `CONVERT(nvarchar(max), ${expr})`;
    case 'hierarchyid': return `${expr}.ToString()`;
    case 'spatial': return `CASE WHEN ${expr} IS NULL THEN NULL ELSE CONCAT(N'SRID=', ${expr}.STSrid, N';', ${expr}.AsTextZM()) END`;
    case 'clr': return `CONVERT(varbinary(max), ${expr})`;
    case 'variant':
      return `CASE WHEN ${expr} IS NULL THEN NULL`
        + ` WHEN SQL_VARIANT_PROPERTY(${expr}, 'BaseType') IN ('datetime', 'datetime2', 'smalldatetime', 'date', 'time', 'datetimeoffset') THEN CONVERT(nvarchar(4000), ${expr}, 121)`
        + ` WHEN SQL_VARIANT_PROPERTY(${expr}, 'BaseType') IN ('binary', 'varbinary') THEN CONVERT(nvarchar(4000), CONVERT(varbinary(8000), ${expr}), 1)`
        + ` WHEN SQL_VARIANT_PROPERTY(${expr}, 'BaseType') IN ('money', 'smallmoney') THEN CONVERT(nvarchar(4000), CONVERT(money, ${expr}), 2)`
        + ` WHEN SQL_VARIANT_PROPERTY(${expr}, 'BaseType') IN ('float', 'real') THEN CONVERT(nvarchar(4000), CONVERT(float, ${expr}), 3)`
        + ` ELSE CONVERT(nvarchar(4000), ${expr}) END`;
    default: return expr;
  }
}
