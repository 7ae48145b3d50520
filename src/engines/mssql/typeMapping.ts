/**
 * SQL Server type -> PostgreSQL type, explicit for every system type. Precision is kept;
 * where PostgreSQL cannot hold a value exactly the rule says so (`lossy`), and types
 * PostgreSQL has no counterpart for get a stated textual/binary rule.
 */

/** A SQL Server column type as the catalog describes it (length in characters/bytes of the type, -1 = max). */
export interface MsType {
  /** System type name, lower case (`nvarchar`, `decimal`, ...). For alias types: the base type. */
  name: string;
  length?: number | null;
  precision?: number | null;
  scale?: number | null;
  /** Alias (user-defined) type name, `schema.name`, when the column uses one. */
  aliasOf?: string;
}

/** How a value of the column is read and encoded (see projection.ts / valueEncoding.ts). */
export type ValueKind =
  | 'bool' | 'int' | 'bigint' | 'numeric' | 'money' | 'float8' | 'float4'
  | 'date' | 'time' | 'timestamp' | 'smalldatetime' | 'timestamptz'
  | 'char' | 'text' | 'bytea' | 'uuid' | 'xml' | 'variant' | 'hierarchyid' | 'spatial' | 'clr';

export interface TypeMapping {
  /** Source type as SQL Server spells it, e.g. `decimal(19,4)`, `nvarchar(max)`. */
  sourceType: string;
  targetType: string;
  kind: ValueKind;
  /** Fractional-second digits kept in the target (time/timestamp kinds). */
  fraction?: number;
  /** Fixed length of char(n)/nchar(n) targets (values are blank-padded to it). */
  charLength?: number;
  /** Set when the mapping loses information; the text goes into the conversion report. */
  lossy?: string;
  /** Stated rule for types without a PostgreSQL counterpart. */
  rule?: string;
  /** Whether key order in SQL Server equals key order in PostgreSQL for this type. */
  orderSafe: boolean;
}

/** Spells a type the way SQL Server scripts it. */
export function formatMsType(t: MsType): string {
  const n = t.name.toLowerCase();
  const len = (l: number | null | undefined) => (l === -1 ? 'max' : String(l ?? 1));
  switch (n) {
    case 'char': case 'nchar': case 'varchar': case 'nvarchar': case 'binary': case 'varbinary':
      return `${n}(${len(t.length)})`;
    case 'decimal': case 'numeric':
      return `${n}(${t.precision ?? 18},${t.scale ?? 0})`;
    case 'time': case 'datetime2': case 'datetimeoffset':
      return `${n}(${t.scale ?? 7})`;
    case 'float':
      return (t.precision ?? 53) <= 24 ? 'real' : 'float';
    default:
      return n;
  }
}

/** Parses a spelled type (`decimal(19, 4)`, `nvarchar(max)`, `[sys].[datetime2](3)`) into an MsType. */
export function parseMsType(spelled: string): MsType {
  const m = /^\s*(?:\[?(\w+)\]?\s*\.\s*)?\[?([\w ]+?)\]?\s*(?:\(\s*(max|-?\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(spelled);
  if (!m) throw new Error(`cannot parse SQL Server type ${JSON.stringify(spelled)}`);
  const name = m[2].toLowerCase().replace(/\s+/g, ' ');
  const a = m[3] === undefined ? undefined : m[3].toLowerCase() === 'max' ? -1 : Number(m[3]);
  const b = m[4] === undefined ? undefined : Number(m[4]);
  switch (name) {
    case 'char': case 'nchar': case 'varchar': case 'nvarchar': case 'binary': case 'varbinary':
      return { name, length: a ?? 1 };
    case 'character': return { name: 'char', length: a ?? 1 };
    case 'character varying': return { name: 'varchar', length: a ?? 1 };
    case 'national character': case 'national char': return { name: 'nchar', length: a ?? 1 };
    case 'national character varying': case 'national char varying': return { name: 'nvarchar', length: a ?? 1 };
    case 'binary varying': return { name: 'varbinary', length: a ?? 1 };
    case 'dec': return { name: 'decimal', precision: a ?? 18, scale: b ?? 0 };
    case 'decimal': case 'numeric':
      return { name, precision: a ?? 18, scale: b ?? 0 };
    case 'time': case 'datetime2': case 'datetimeoffset':
      return { name, scale: a ?? 7 };
    case 'float': return { name: 'float', precision: a ?? 53 };
    case 'double precision': return { name: 'float', precision: 53 };
    case 'integer': return { name: 'int' };
    case 'rowversion': return { name: 'timestamp' };
    default:
      return { name };
  }
}

/** SQL Server types that are system types (anything else is an alias or CLR type). */
export const SYSTEM_TYPES = new Set([
  'bit', 'tinyint', 'smallint', 'int', 'bigint', 'decimal', 'numeric', 'money', 'smallmoney', 'float', 'real',
  'date', 'time', 'datetime', 'smalldatetime', 'datetime2', 'datetimeoffset', 'char', 'nchar', 'varchar', 'nvarchar',
  'text', 'ntext', 'binary', 'varbinary', 'image', 'uniqueidentifier', 'xml', 'timestamp', 'sql_variant',
  'hierarchyid', 'geography', 'geometry', 'sysname',
]);

const fracLossy = (n: number) => n > 6
  ? `${n} fractional-second digits: PostgreSQL keeps microseconds, the 7th digit (100 ns) is truncated`
  : undefined;

/** The mapping of one SQL Server type. Unknown (CLR user-defined) types map to bytea of their serialized form. */
export function mapMsType(t: MsType): TypeMapping {
  const name = t.name.toLowerCase();
  const sourceType = formatMsType({ ...t, name });
  const base = { sourceType };
  switch (name) {
    case 'bit': return { ...base, targetType: 'boolean', kind: 'bool', orderSafe: true };
    case 'tinyint': return { ...base, targetType: 'smallint', kind: 'int', orderSafe: true };
    case 'smallint': return { ...base, targetType: 'smallint', kind: 'int', orderSafe: true };
    case 'int': return { ...base, targetType: 'integer', kind: 'int', orderSafe: true };
    case 'bigint': return { ...base, targetType: 'bigint', kind: 'bigint', orderSafe: true };
    case 'decimal': case 'numeric':
      return { ...base, targetType: `numeric(${t.precision ?? 18},${t.scale ?? 0})`, kind: 'numeric', orderSafe: true };
    case 'money': return { ...base, targetType: 'numeric(19,4)', kind: 'money', orderSafe: true };
    case 'smallmoney': return { ...base, targetType: 'numeric(10,4)', kind: 'money', orderSafe: true };
    case 'float':
      return (t.precision ?? 53) <= 24
        ? { ...base, targetType: 'real', kind: 'float4', orderSafe: true }
        : { ...base, targetType: 'double precision', kind: 'float8', orderSafe: true };
    case 'real': return { ...base, targetType: 'real', kind: 'float4', orderSafe: true };
    case 'date': return { ...base, targetType: 'date', kind: 'date', orderSafe: true };
    case 'time': {
      const n = t.scale ?? 7;
      return { ...base, targetType: `time(${Math.min(n, 6)})`, kind: 'time', fraction: Math.min(n, 6), lossy: fracLossy(n), orderSafe: true };
    }
    case 'datetime':
      return { ...base, targetType: 'timestamp(3)', kind: 'timestamp', fraction: 3, orderSafe: true,
        rule: 'datetime (1/300 s ticks) keeps the millisecond value SQL Server displays' };
    case 'smalldatetime': return { ...base, targetType: 'timestamp(0)', kind: 'smalldatetime', fraction: 0, orderSafe: true };
    case 'datetime2': {
      const n = t.scale ?? 7;
      return { ...base, targetType: `timestamp(${Math.min(n, 6)})`, kind: 'timestamp', fraction: Math.min(n, 6), lossy: fracLossy(n), orderSafe: true };
    }
    case 'datetimeoffset': {
      const n = t.scale ?? 7;
      const lossy = [fracLossy(n), 'the instant is kept (stored as UTC); the original offset is not'].filter(Boolean).join('; ');
      return { ...base, targetType: `timestamp(${Math.min(n, 6)}) with time zone`, kind: 'timestamptz', fraction: Math.min(n, 6), lossy, orderSafe: true };
    }
    case 'char': case 'nchar': {
      const len = t.length ?? 1;
      return { ...base, targetType: `character(${len})`, kind: 'char', charLength: len, orderSafe: false };
    }
    case 'varchar': case 'nvarchar': {
      const len = t.length ?? 1;
      return { ...base, targetType: len === -1 ? 'text' : `character varying(${len})`, kind: 'text', orderSafe: false };
    }
    case 'sysname': return { ...base, targetType: 'character varying(128)', kind: 'text', orderSafe: false };
    case 'text': case 'ntext': return { ...base, targetType: 'text', kind: 'text', orderSafe: false };
    case 'binary': case 'varbinary': case 'image':
      return { ...base, targetType: 'bytea', kind: 'bytea', orderSafe: false };
    case 'timestamp':
      return { ...base, sourceType: 'rowversion', targetType: 'bytea', kind: 'bytea', orderSafe: false,
        rule: 'rowversion/timestamp: the 8-byte value is copied into bytea; PostgreSQL does not maintain it' };
    case 'uniqueidentifier':
      return { ...base, targetType: 'uuid', kind: 'uuid', orderSafe: false,
        rule: 'uniqueidentifier: copied in its canonical string form, so the value reads the same (byte order kept)' };
    case 'xml':
      return { ...base, targetType: 'xml', kind: 'xml', orderSafe: false,
        rule: 'xml: copied as SQL Server serializes it; XML schema collections are not enforced' };
    case 'sql_variant':
      return { ...base, targetType: 'text', kind: 'variant', orderSafe: false,
        lossy: 'sql_variant: stored as text (date/time base types in ISO form, binary as 0x hex); the base type is not kept' };
    case 'hierarchyid':
      return { ...base, targetType: 'text', kind: 'hierarchyid', orderSafe: false,
        lossy: 'hierarchyid: stored as its path text (ToString(), e.g. /1/3/); hierarchy methods are not available' };
    case 'geography': case 'geometry':
      return { ...base, targetType: 'text', kind: 'spatial', orderSafe: false,
        lossy: `${name}: stored as EWKT text (SRID=n;WKT with Z/M) loadable by PostGIS ST_GeomFromEWKT; spatial indexes are not migrated` };
    default:
      return { ...base, targetType: 'bytea', kind: 'clr', orderSafe: false,
        lossy: `CLR user-defined type ${name}: stored as bytea of its serialized form` };
  }
}

/**
 * Target type for an overridden column: the override wins; the value is still read with the
 * source type's lossless projection, so the override must accept that text form.
 */
export function mappingWithOverride(t: MsType, override?: string): TypeMapping {
  const m = mapMsType(t);
  if (!override) return m;
  return { ...m, targetType: override, charLength: /^\s*(character|char|bpchar)\b/i.test(override) ? m.charLength : undefined };
}
