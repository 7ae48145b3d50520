import type { KeyRange, KeyValues } from '../sourceEngine';
import type { KeyOrder } from '../schemaModel';
import { keyCompare, keyExpr, keyValueExpr, qualified, quoteIdent } from './quoting';

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
export function chunkCopyOut(t: PgTableShape, b: ChunkBounds): string {
  const cols = t.columns.map(quoteIdent).join(', ');
  const from = qualified(t.schema, t.name);
  if (!t.key) {
    // No usable key: the whole table (or slice), order-independent checksum.
    return `COPY (SELECT ${cols} FROM ${from}${b.filter ? ` WHERE ${b.filter}` : ''}) TO STDOUT`;
  }
  const conds = chunkConditions(t, b);
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const order = t.key.map((k, i) => keyExpr(k, t.keyOrder?.[i])).join(', ');
  const limit = b.limit === null ? '' : ` LIMIT ${Math.floor(b.limit)}`;
  return `COPY (SELECT ${cols} FROM ${from}${where} ORDER BY ${order}${limit}) TO STDOUT`;
}

export function countQuery(t: PgTableShape, range?: KeyRange, filter?: string | null): string {
  const conds = chunkConditions(t, { range: range ?? { lo: null, hi: null }, after: null, filter });
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  return `SELECT count(*)::bigint AS n FROM ${qualified(t.schema, t.name)}${where}`;
}
