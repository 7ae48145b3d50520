import type { TableModel } from '../schemaModel';
import type { KeyRange, KeyValues } from '../sourceEngine';
import type { TypeMapping } from './typeMapping';
import { msIdent, msQualified } from './identifiers';
import { projectionSql, readMapping } from './projection';
import { addMicrosecond, formatTimestamp, parseDateTime, toUtc } from './valueEncoding';
import { BadInputError } from '../../contract/failures';
import type { KeyOrder } from '../schemaModel';
import { msKeyExpr, msKeyValue } from './keyOrder';

/**
 * T-SQL for keyset chunk reads: `SELECT TOP (@n) ... WHERE (k1 > @a) OR (k1 = @a AND k2 > @b)
 * ORDER BY k1, k2`, plus counts and range planning. Key values arrive as PostgreSQL text
 * (from the last copied line) and are passed as nvarchar parameters converted back to the
 * key column's SQL Server type in the statement, so index seeks still work.
 *
 * Keys of types with 100 ns ticks (datetime2(7), time(7), datetimeoffset(7)) are truncated to
 * microseconds in the target; a key text `t` therefore stands for the source bucket
 * [t, t + 1 µs), and comparisons are made on buckets so no row is skipped or read twice.
 */

export interface KeysetStatement {
  sql: string;
  /** Parameters, all nvarchar(4000) except `limit` (int). */
  params: { name: string; value: string }[];
  limit?: number;
}

interface KeyCol {
  ident: string;
  /** The column as ordered and compared (the identifier itself for natural order). */
  expr: string;
  order: KeyOrder;
  m: TypeMapping;
  /** Source has sub-microsecond ticks (bucket semantics). */
  bucket: boolean;
  /** T-SQL type to convert the parameter into. */
  convertType: string;
  style?: number;
}

function keyCol(table: TableModel, name: string): KeyCol {
  const c = table.columns.find((x) => x.name === name);
  const order = table.keyOrder?.[(table.key ?? []).indexOf(name)] ?? 'natural';
  if (!c) throw new BadInputError(`table ${table.schema}.${table.name}: key column ${name} is not a column`);
  const m = readMapping(c);
  const sub = /\((\d)\)/.exec(c.sourceType);
  const scale = sub ? Number(sub[1]) : 7;
  const bucket = ['time', 'timestamp', 'timestamptz'].includes(m.kind) && /^(time|datetime2|datetimeoffset)/.test(c.sourceType) && scale > 6;
  const style = m.kind === 'date' ? 23 : m.kind === 'timestamp' || m.kind === 'time' ? 121 : m.kind === 'smalldatetime' ? 120 : m.kind === 'timestamptz' ? 127 : undefined;
  const ident = msIdent(c.name);
  return { ident, expr: msKeyExpr(ident, order, c.sourceType), order, m, bucket, convertType: c.sourceType, style };
}

/** Converts a PostgreSQL key text into text SQL Server converts back exactly. */
export function keyParamText(k: Pick<KeyCol, 'm'>, pgText: string): string {
  switch (k.m.kind) {
    case 'bool': return pgText === 't' || pgText === 'true' ? '1' : '0';
    case 'timestamptz': {
      const p = toUtc(parseDateTime(pgText));
      return formatTimestamp(p, 7).replace(' ', 'T') + 'Z';
    }
    default: return pgText;
  }
}

/** The exclusive upper end of the bucket `pgText` stands for; null when past the type's range. */
function bucketEnd(k: KeyCol, pgText: string): string | null {
  if (k.m.kind === 'time') {
    const p = parseDateTime(`2000-01-01 ${pgText}`);
    const next = addMicrosecond(p);
    if (next.d !== p.d) return null;
    return formatTimestamp(next, 6).slice(11);
  }
  const p = k.m.kind === 'timestamptz' ? toUtc(parseDateTime(pgText)) : parseDateTime(pgText);
  const next = addMicrosecond(p);
  if (next.y > 9999) return null;
  const text = formatTimestamp(next, 6);
  return k.m.kind === 'timestamptz' ? text + '+00' : text;
}

class Params {
  readonly list: { name: string; value: string }[] = [];
  add(value: string): string {
    const name = `k${this.list.length}`;
    this.list.push({ name, value });
    return '@' + name;
  }
}

function conv(k: KeyCol, param: string): string {
  return msKeyValue(`CONVERT(${k.convertType}, ${param}${k.style !== undefined ? `, ${k.style}` : ''})`, k.order);
}

/** One comparison `k op value` with bucket semantics where needed. */
function compare(k: KeyCol, op: '>' | '=' | '<' | '<=', pgText: string, params: Params): string {
  if (!k.bucket) {
    return `${k.expr} ${op} ${conv(k, params.add(keyParamText(k, pgText)))}`;
  }
  const lo = () => conv(k, params.add(keyParamText(k, pgText)));
  const end = bucketEnd(k, pgText);
  const hi = () => conv(k, params.add(keyParamText(k, end!)));
  switch (op) {
    case '>': return end === null ? '1 = 0' : `${k.ident} >= ${hi()}`;
    case '<=': return end === null ? '1 = 1' : `${k.ident} < ${hi()}`;
    case '<': return `${k.ident} < ${lo()}`;
    case '=': return end === null ? `${k.ident} >= ${lo()}` : `(${k.ident} >= ${lo()} AND ${k.ident} < ${hi()})`;
  }
}

/** Lexicographic `(k1..kn) > (v1..vn)` or `<=` (earlier columns strict, the last one inclusive for `<=`). */
export function lexCompare(keys: KeyCol[], op: '>' | '<=', values: KeyValues, params: Params): string {
  if (values.length !== keys.length) throw new BadInputError(`key has ${keys.length} columns, got ${values.length} values`);
  const terms: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const eqs = keys.slice(0, i).map((k, j) => compare(k, '=', values[j], params));
    const last = i === keys.length - 1 ? op : op === '>' ? '>' : '<';
    terms.push([...eqs, compare(keys[i], last, values[i], params)].join(' AND '));
  }
  return terms.map((t) => `(${t})`).join(' OR ');
}

export function keyColumns(table: TableModel): KeyCol[] {
  return (table.key ?? []).map((n) => keyCol(table, n));
}

function conditions(table: TableModel, range: KeyRange | undefined, after: KeyValues | null, upTo: KeyValues | null | undefined, params: Params): string[] {
  const keys = keyColumns(table);
  const conds: string[] = [];
  if (!keys.length) return conds;
  if (range?.lo != null) conds.push(compare(keys[0], '>', range.lo, params));
  if (range?.hi != null) conds.push(compare(keys[0], '<=', range.hi, params));
  if (after) conds.push(`(${lexCompare(keys, '>', after, params)})`);
  if (upTo) conds.push(`(${lexCompare(keys, '<=', upTo, params)})`);
  return conds;
}

/** Copied columns in target order with their projections. */
export function selectList(table: TableModel): { sql: string; mappings: TypeMapping[] } {
  const cols = table.columns.filter((c) => !c.generated);
  const mappings = cols.map(readMapping);
  const sql = cols.map((c, i) => `${projectionSql(msIdent(c.name), mappings[i])} AS ${msIdent('c' + i)}`).join(', ');
  return { sql, mappings };
}

export interface ChunkQueryInput {
  table: TableModel;
  range: KeyRange;
  after: KeyValues | null;
  upTo?: KeyValues | null;
  limit: number | null;
  /** Extra row condition in T-SQL (a tenant slice). */
  filter?: string | null;
}

export function chunkQuery(req: ChunkQueryInput): KeysetStatement & { mappings: TypeMapping[] } {
  const { table } = req;
  const { sql: list, mappings } = selectList(table);
  const from = msQualified(table.schema, table.name);
  if (!table.key) return { sql: `SELECT ${list} FROM ${from}${req.filter ? ` WHERE ${req.filter}` : ''}`, params: [], mappings };
  const params = new Params();
  const conds = [...(req.filter ? [`(${req.filter})`] : []), ...conditions(table, req.range, req.after, req.upTo, params)];
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const order = keyColumns(table).map((k) => k.expr).join(', ');
  const top = req.limit === null ? '' : 'TOP (@limit) ';
  return {
    sql: `SELECT ${top}${list} FROM ${from}${where} ORDER BY ${order}`,
    params: params.list, limit: req.limit === null ? undefined : Math.floor(req.limit), mappings,
  };
}

export function countQuery(table: TableModel, range?: KeyRange, filter?: string | null): KeysetStatement {
  const params = new Params();
  const conds = [...(filter ? [`(${filter})`] : []), ...(range ? conditions(table, range, null, null, params) : [])];
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  return { sql: `SELECT COUNT_BIG(*) AS n FROM ${msQualified(table.schema, table.name)}${where}`, params: params.list };
}

/**
 * Boundaries splitting the first key column into `parts` tiles of about equal row counts (keys in
 * natural order only: MAX() would not follow a binary or GUID order; such tables are not split).
 */
export function rangeBoundsQuery(table: TableModel, parts: number, filter?: string | null): { sql: string; mapping: TypeMapping } {
  const k = keyColumns(table)[0];
  const where = filter ? ` WHERE ${filter}` : '';
  const inner = `SELECT ${k.ident} AS k, NTILE(${Math.max(1, Math.floor(parts))}) OVER (ORDER BY ${k.ident}) AS tile FROM ${msQualified(table.schema, table.name)}${where}`;
  return { sql: `SELECT ${projectionSql('MAX(x.k)', k.m)} AS b FROM (${inner}) AS x GROUP BY x.tile ORDER BY x.tile`, mapping: k.m };
}

/** Turns tile maxima into ranges: (null, b1], (b1, b2], ..., (b_{n-1}, null]. */
export function rangesFromBounds(bounds: string[]): KeyRange[] {
  const uniq = bounds.filter((b, i) => i === 0 || b !== bounds[i - 1]).slice(0, -1);
  if (!uniq.length) return [{ lo: null, hi: null }];
  const ranges: KeyRange[] = [];
  let prev: string | null = null;
  for (const b of uniq) { ranges.push({ lo: prev, hi: b }); prev = b; }
  ranges.push({ lo: prev, hi: null });
  return ranges;
}
