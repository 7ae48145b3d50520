import type { KeyRange, KeyValues } from '../sourceEngine';
import type { KeyOrder } from '../schemaModel';
import { keyCompare, keyExpr, keyValueExpr, onlyTable, qualified, quoteIdent } from './quoting';

/** The PostgreSQL side of a table as a chunk query sees it (source names or target names). */
export interface PgTableShape {
  schema: string;
  name: string;
  /** Copied columns, in canonical order. */
  columns: string[];
  key: string[] | null;
  keyTypes: string[];
  /** Per key column: how it is ordered (natural when absent). */
  keyOrder?: KeyOrder[];
  /**
   * Source side only: a keyless table's ranges are ctid page ranges ([lo, hi) pages). The target's
   * rows sit on other pages, so a target shape refuses a bounded range of a keyless table.
   */
  ctidRanges?: boolean;
}

export interface ChunkBounds {
  range: KeyRange;
  after: KeyValues | null;
  upTo?: KeyValues | null;
  limit: number | null;
  /** Extra row condition (a tenant slice). */
  filter?: string | null;
}

/** WHERE conditions for a key range plus keyset bounds. */
export function chunkConditions(t: PgTableShape, b: Pick<ChunkBounds, 'range' | 'after' | 'upTo' | 'filter'>): string[] {
  const conds: string[] = b.filter ? [`(${b.filter})`] : [];
  if (!t.key) return [...conds, ...pageConditions(t, b.range)];
  const orders = t.keyOrder ?? [];
  const first = keyExpr(t.key[0], orders[0]);
  const firstType = t.keyTypes[0];
  if (b.range.lo !== null) conds.push(`${first} > ${keyValueExpr(b.range.lo, firstType, orders[0])}`);
  if (b.range.hi !== null) conds.push(`${first} <= ${keyValueExpr(b.range.hi, firstType, orders[0])}`);
  if (b.after) conds.push(keyCompare(t.key, t.keyTypes, '>', b.after, orders));
  if (b.upTo) conds.push(keyCompare(t.key, t.keyTypes, '<=', b.upTo, orders));
  return conds;
}

/** `COPY (SELECT ... ORDER BY key LIMIT n) TO STDOUT`: rows of one chunk in canonical text form. */
export function chunkCopyOut(t: PgTableShape, b: ChunkBounds, binary = false): string {
  const fmt = binary ? ' (FORMAT binary)' : '';
  const cols = t.columns.map(quoteIdent).join(', ');
  const from = onlyTable(t.schema, t.name);
  if (!t.key) {
    // No usable key: the whole table (or slice), or one page range of it; order-independent checksum.
    const conds = [...(b.filter ? [`(${b.filter})`] : []), ...pageConditions(t, b.range)];
    return `COPY (SELECT ${cols} FROM ${from}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}) TO STDOUT${fmt}`;
  }
  const conds = chunkConditions(t, b);
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const order = t.key.map((k, i) => keyExpr(k, t.keyOrder?.[i])).join(', ');
  const limit = b.limit === null ? '' : ` LIMIT ${Math.floor(b.limit)}`;
  return `COPY (SELECT ${cols} FROM ${from}${where} ORDER BY ${order}${limit}) TO STDOUT${fmt}`;
}

/** `ctid` bounds of a page range; none for the full range. */
function pageConditions(t: PgTableShape, range: KeyRange): string[] {
  if (range.lo === null && range.hi === null) return [];
  if (!t.ctidRanges) throw new Error(`${t.schema}.${t.name} has no key: a bounded range is a source page range and cannot be read on this side`);
  const page = (v: string) => {
    if (!/^\d{1,10}$/.test(v)) throw new Error(`page range bound ${JSON.stringify(v)} of ${t.schema}.${t.name} is not a page number`);
    return `'(${v},0)'::tid`;
  };
  const conds: string[] = [];
  if (range.lo !== null) conds.push(`ctid >= ${page(range.lo)}`);
  if (range.hi !== null) conds.push(`ctid < ${page(range.hi)}`);
  return conds;
}

export function countQuery(t: PgTableShape, range?: KeyRange, filter?: string | null): string {
  const conds = chunkConditions(t, { range: range ?? { lo: null, hi: null }, after: null, filter });
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  return `SELECT count(*)::bigint AS n FROM ${onlyTable(t.schema, t.name)}${where}`;
}

/**
 * `COPY table (cols) FROM STDIN`. A table with no columns (legal, and found in real databases) has
 * no column list: each empty line is one row, so its row count is its whole content.
 */
export function copyIntoSql(t: Pick<PgTableShape, 'schema' | 'name' | 'columns'>, binary = false): string {
  const cols = t.columns.length ? ` (${t.columns.map(quoteIdent).join(', ')})` : '';
  return `COPY ${qualified(t.schema, t.name)}${cols} FROM STDIN${binary ? ' (FORMAT binary)' : ''}`;
}
