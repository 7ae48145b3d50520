/**
 * One canonical text form per column type: what is written to MySQL, what is read back,
 * and what the per-document checksum hashes. Also the way back (text to BSON value).
 */
import { BSON, Decimal128, Long, ObjectId } from 'mongodb';

const { EJSON } = BSON;
import { configure } from 'safe-stable-stringify';
import type { ColumnType, IdType } from '../../contract/lazyPlan';

const stableJson = configure({ deterministic: true, bigint: false });

/** Why a value cannot be stored in its planned column (the document goes to rejects). */
export class ValueDoesNotFit extends Error {}

function bsonType(v: unknown): string | undefined {
  return (v as { _bsontype?: string } | null)?._bsontype;
}

/** A plain sub-document (not a BSON scalar, date, array or buffer). */
export function isSubDocument(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date || Buffer.isBuffer(v)) return false;
  return bsonType(v) === undefined;
}

/** `2026-12-01 10:46:55.654` (UTC): DATETIME(3)'s text form on MySQL and MariaDB. */
export function dateText(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Canonical JSON of any BSON value: relaxed Extended JSON with sorted keys. */
export function canonicalJson(value: unknown): string {
  return stableJson(EJSON.serialize(value as never, { relaxed: true })) as string;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const t = bsonType(value);
  if (t === 'Int32' || t === 'Double') return (value as { value: number }).value;
  if (t === 'Long') return (value as Long).toNumber();
  return undefined;
}

/** The canonical text of `value` for a column of `type`, or throws ValueDoesNotFit. null stays null. */
export function columnText(type: ColumnType, value: unknown, maxLength?: number): string | null {
  if (value === null || value === undefined) return null;
  const fail = (what: string): never => {
    throw new ValueDoesNotFit(`${what} does not fit a ${type} column`);
  };
  switch (type) {
    case 'string':
    case 'text': {
      if (typeof value !== 'string') return fail(describeValue(value));
      if (maxLength !== undefined && [...value].length > maxLength) fail(`a string of ${[...value].length} characters (max ${maxLength})`);
      if (type === 'text' && Buffer.byteLength(value) > 16_777_215) fail('a string over 16 MB');
      return value;
    }
    case 'int': {
      if (bsonType(value) === 'Long') return (value as Long).toString();
      const n = toNumber(value);
      if (n === undefined || !Number.isInteger(n)) return fail(describeValue(value));
      if (!Number.isSafeInteger(n)) fail(`the integer ${n} (beyond 2^53, store it as Long)`);
      return String(n);
    }
    case 'double': {
      const n = toNumber(value);
      if (n === undefined) return fail(describeValue(value));
      if (!Number.isFinite(n)) fail(`the number ${n}`);
      return String(n === 0 ? 0 : n);
    }
    case 'decimal': {
      if (bsonType(value) === 'Decimal128') return (value as Decimal128).toString();
      const n = toNumber(value);
      if (n === undefined || !Number.isFinite(n)) return fail(describeValue(value));
      return String(n);
    }
    case 'bool':
      if (typeof value !== 'boolean') return fail(describeValue(value));
      return value ? '1' : '0';
    case 'date': {
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) return fail(describeValue(value));
      const y = value.getUTCFullYear();
      if (y < 1000 || y > 9999) fail(`the date ${value.toISOString()} (MySQL DATETIME holds years 1000-9999)`);
      return dateText(value);
    }
    case 'objectId':
      if (bsonType(value) !== 'ObjectId') return fail(describeValue(value));
      return (value as ObjectId).toHexString();
    case 'json':
      return canonicalJson(value);
  }
}

/** Describes a value's type (never its content: rejects reasons end up in reports). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  const t = bsonType(value);
  if (t) return `a BSON ${t}`;
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a double';
  if (typeof value === 'object') return 'a sub-document';
  return `a ${typeof value}`;
}

/** Back from canonical text to the value the document holds. */
export function columnValue(type: ColumnType, text: string | null): unknown {
  if (text === null) return null;
  switch (type) {
    case 'string':
    case 'text':
      return text;
    case 'int': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : Long.fromString(text);
    }
    case 'double':
      return Number(text);
    case 'decimal':
      return Decimal128.fromString(text);
    case 'bool':
      return text === '1';
    case 'date':
      return new Date(`${text.replace(' ', 'T')}Z`);
    case 'objectId':
      return new ObjectId(text);
    case 'json':
      return EJSON.deserialize(JSON.parse(text), { relaxed: true });
  }
}

/** A document `_id` as text (the key of the MySQL row, the state table and rejects). */
export function idText(idType: IdType, id: unknown): string {
  const text = columnText(idType === 'objectId' ? 'objectId' : idType === 'int' ? 'int' : 'string', id, 255);
  if (text === null) throw new ValueDoesNotFit('a missing _id');
  return text;
}

export function idValue(idType: IdType, text: string): unknown {
  return columnValue(idType === 'objectId' ? 'objectId' : idType === 'int' ? 'int' : 'string', text);
}
