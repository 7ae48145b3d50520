/**
 * Normalises a PostgreSQL type name so a planned type (`varchar(20)`, `timestamptz`, `int`)
 * compares equal to what `format_type()` reports (`character varying(20)`,
 * `timestamp with time zone`, `integer`).
 */
const ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', serial: 'integer', serial4: 'integer',
  int2: 'smallint', smallserial: 'smallint', serial2: 'smallint',
  int8: 'bigint', bigserial: 'bigint', serial8: 'bigint',
  float8: 'double precision', float: 'double precision', float4: 'real',
  bool: 'boolean', decimal: 'numeric', varchar: 'character varying', char: 'character', bpchar: 'character',
  timestamptz: 'timestamp with time zone', timetz: 'time with time zone',
  timestamp: 'timestamp without time zone', time: 'time without time zone',
  varbit: 'bit varying',
};

export function normalisePgType(type: string): string {
  // Quoted names (user-defined types such as "MyEnum") are case-sensitive: compare them as written.
  if (type.includes('"')) return type.trim().replace(/\s+/g, ' ').replace(/^(pg_catalog|public)\./, '');
  let t = type.trim().toLowerCase().replace(/\s+/g, ' ')
    .replace(/\s*\(\s*/g, '(').replace(/\s*,\s*/g, ',').replace(/\s*\)/g, ')');
  let arraySuffix = '';
  const arr = /((?:\[\d*\])+)$/.exec(t) ?? /( array)$/.exec(t);
  if (arr) {
    arraySuffix = '[]'.repeat(arr[1] === ' array' ? 1 : (arr[1].match(/\[/g) ?? []).length);
    t = t.slice(0, -arr[1].length).trim();
  }
  t = t.replace(/^(pg_catalog|public)\./, '');

  const m = /^([a-z0-9_ ]+?)(\(([^)]*)\))?( with time zone| without time zone)?$/.exec(t);
  if (!m) return t + arraySuffix;
  let base = m[1].trim();
  let mod: string | undefined = m[3];
  let zone = m[4]?.trim();

  if (base === 'float' && mod !== undefined) {
    base = Number(mod) <= 24 ? 'real' : 'double precision';
    mod = undefined;
  }
  if (base === 'timestamptz' || base === 'timetz') zone = 'with time zone';
  if (!((base === 'timestamp' || base === 'time') && zone)) base = ALIASES[base] ?? base;
  if (base.startsWith('timestamp ') || base.startsWith('time ')) {
    zone = base.slice(base.indexOf(' ') + 1);
    base = base.slice(0, base.indexOf(' '));
  }
  if (base === 'timestamp' || base === 'time') zone = zone ?? 'without time zone';
  // char without a length is char(1); format_type says `character(1)`.
  if (base === 'character' && mod === undefined) mod = '1';
  return `${base}${mod !== undefined ? `(${mod})` : ''}${zone ? ' ' + zone : ''}${arraySuffix}`;
}

export function sameType(planned: string, actual: string): boolean {
  return normalisePgType(planned) === normalisePgType(actual);
}
