import type { KeyRange, KeyValues } from '../sourceEngine';
import { keyCompare, qualified, quoteIdent, quoteLiteral } from './quoting';

/** The PostgreSQL side of a table as a chunk query sees it (source names or target names). */
export interface PgTableShape {
  schema: string;
  name: string;
  /** Copied columns, in canonical order. */
  columns: string[];
  key: string[] | null;
  keyTypes: string[];
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
  if (!t.key) return conds;
  const first = quoteIdent(t.key[0]);
  const firstType = t.keyTypes[0];
  if (b.range.lo !== null) conds.push(`${first} > ${quoteLiteral(b.range.lo)}::${firstType}`);
  if (b.range.hi !== null) conds.push(`${first} <= ${quoteLiteral(b.range.hi)}::${firstType}`);
  if (b.after) conds.push(keyCompare(t.key, t.keyTypes, '>', b.after));
  if (b.upTo) conds.push(keyCompare(t.key, t.keyTypes, '<=', b.upTo));
  return conds;
}

/** `COPY (SELECT ... ORDER BY key LIMIT n) TO STDOUT`: rows of one chunk in canonical text form. */
export function chunkCopyOut(t: PgTableShape, b: ChunkBounds): string {
  const cols = t.columns.map(quoteIdent).join(', ');
  const from = qualified(t.schema, t.name);
  if (!t.key) {
    // No usable key: the whole table (or slice), order-independent checksum.
    return `COPY (SELECT ${cols} FROM ${from}${b.filter ? ` WHERE ${b.filter}` : ''}) TO STDOUT`;
  }
  const conds = chunkConditions(t, b);
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const order = t.key.map(quoteIdent).join(', ');
  const limit = b.limit === null ? '' : ` LIMIT ${Math.floor(b.limit)}`;
  return `COPY (SELECT ${cols} FROM ${from}${where} ORDER BY ${order}${limit}) TO STDOUT`;
}

export function countQuery(t: PgTableShape, range?: KeyRange, filter?: string | null): string {
  const conds = chunkConditions(t, { range: range ?? { lo: null, hi: null }, after: null, filter });
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  return `SELECT count(*)::bigint AS n FROM ${qualified(t.schema, t.name)}${where}`;
}
