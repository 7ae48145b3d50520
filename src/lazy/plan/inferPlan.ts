/**
 * Proposes a mapping plan from sampled documents (types and frequencies from `mongodb-schema`)
 * and reports what a reviewer must look at: mixed types, rare fields, values that would not fit.
 */
import { parseSchema, type Schema, type SchemaField, type SchemaType } from 'mongodb-schema';
import { isSubDocument } from '../../engines/mongodb/columnValues';
import { mysqlName } from '../../engines/mysql/names';
import type { ChildPlan, CollectionPlan, ColumnPlan, ColumnType, IdType, LazyPlan } from '../../contract/lazyPlan';

export interface PlanFinding {
  collection: string;
  path: string;
  kind: 'mixed-types' | 'rare-field' | 'would-not-fit' | 'kept-as-json';
  /** Documents (or array elements) concerned, and how many were sampled. */
  count: number;
  sampled: number;
  detail: string;
}

export interface InferOptions {
  nested: 'flatten' | 'json';
  /** A field present in fewer than this share of sampled documents is reported as rare. */
  rareBelow: number;
}

export interface CollectionSample {
  collection: string;
  /** Documents read with `promoteValues: false`, so Int32, Long and Double stay distinct. */
  documents: Record<string, unknown>[];
}

const NUMERIC = new Set(['Int32', 'Long', 'Double', 'Number']);
const SCALAR: Record<string, ColumnType> = {
  String: 'string', Int32: 'int', Long: 'int', Double: 'double', Number: 'double', Boolean: 'bool',
  Date: 'date', ObjectId: 'objectId', Decimal128: 'decimal',
};

export async function inferPlan(samples: CollectionSample[], options: InferOptions): Promise<{ plan: LazyPlan; findings: PlanFinding[] }> {
  const findings: PlanFinding[] = [];
  const tables = new Set<string>();
  const collections: CollectionPlan[] = [];
  for (const sample of samples) {
    if (sample.documents.length === 0) continue;
    const schema: Schema = await parseSchema(sample.documents, { storeValues: false });
    const stats = collectStats(sample.documents);
    const ctx = { collection: sample.collection, sampled: schema.count, findings, options, stats };
    const table = mysqlName(sample.collection, tables);
    tables.add(`${table}__rejects`.toLowerCase());
    const idField = schema.fields.find((f) => f.name === '_id');
    const idType = inferIdType(sample.collection, idField);
    const columns: ColumnPlan[] = [];
    const children: ChildPlan[] = [];
    const columnNames = new Set<string>(['_id']);
    planFields(ctx, schema.fields.filter((f) => f.name !== '_id'), '', columns, columnNames, (path, elementFields) => {
      const childCols: ColumnPlan[] = [];
      planFields({ ...ctx, sampled: stats.arrayElements.get(path) ?? 0 }, elementFields, '', childCols, new Set(['_parent_id', '_position']), null, path);
      children.push({ path, table: mysqlName(`${table}__${path}`, tables), columns: childCols });
    });
    collections.push({ collection: sample.collection, table, idType, columns, children });
  }
  return { plan: { version: 1, nested: options.nested, collections }, findings };
}

function inferIdType(collection: string, field: SchemaField | undefined): IdType {
  const names = new Set((field?.types ?? []).map((t) => t.name));
  if (names.size === 1 && names.has('ObjectId')) return 'objectId';
  if (names.size === 1 && names.has('String')) return 'string';
  if ([...names].every((n) => n === 'Int32' || n === 'Long')) return 'int';
  throw new Error(`collection ${collection}: _id has types ${[...names].join(', ') || 'none'}; the engine needs one _id type (ObjectId, string or integer) to walk the collection by key`);
}

interface Ctx {
  collection: string;
  sampled: number;
  findings: PlanFinding[];
  options: InferOptions;
  stats: SampleStats;
}

function planFields(
  ctx: Ctx, fields: SchemaField[], prefix: string, columns: ColumnPlan[], names: Set<string>,
  onChildTable: ((path: string, elementFields: SchemaField[]) => void) | null, statsBase?: string,
): void {
  for (const field of fields) {
    const path = prefix ? `${prefix}.${field.name}` : field.name;
    const statPath = statsBase ? `${statsBase}[].${path}` : path;
    const present = field.types.filter((t) => t.name !== 'Undefined' && t.name !== 'Null');
    const presentCount = present.reduce((n, t) => n + t.count, 0);
    if (ctx.sampled > 0 && presentCount / ctx.sampled < ctx.options.rareBelow && present.length > 0) {
      ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'rare-field', count: presentCount, sampled: ctx.sampled,
        detail: `present in ${presentCount} of ${ctx.sampled} sampled documents` });
    }
    const kinds = new Set(present.map((t) => t.name));
    const add = (type: ColumnType, extra: Partial<ColumnPlan> = {}) => columns.push({ path, column: mysqlName(path, names), type, ...extra });
    if (kinds.size === 0) {
      add('json');
      continue;
    }
    if (kinds.size === 1 && kinds.has('Document')) {
      if (ctx.options.nested === 'flatten') {
        planFields(ctx, (present[0] as SchemaType & { fields: SchemaField[] }).fields, path, columns, names, onChildTable, statsBase);
      } else {
        add('json');
      }
      continue;
    }
    if (kinds.size === 1 && kinds.has('Array')) {
      const elementTypes = ((present[0] as SchemaType & { types: SchemaType[] }).types ?? []).filter((t) => t.name !== 'Null');
      if (onChildTable && elementTypes.length === 1 && elementTypes[0]!.name === 'Document') {
        onChildTable(path, (elementTypes[0] as SchemaType & { fields: SchemaField[] }).fields);
      } else {
        if (elementTypes.length > 0) {
          ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'kept-as-json', count: presentCount, sampled: ctx.sampled,
            detail: onChildTable ? `array of ${elementTypes.map((t) => t.name).join('/')} kept as a JSON column` : 'array inside an array element kept as a JSON column' });
        }
        add('json');
      }
      continue;
    }
    if ([...kinds].every((k) => NUMERIC.has(k)) && kinds.size > 1) {
      const counts = present.map((t) => `${t.name} ${t.count}`).join(', ');
      ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'mixed-types', count: presentCount, sampled: ctx.sampled,
        detail: `numbers of several types (${counts}); mapped to double` });
      add('double');
      continue;
    }
    if (kinds.size > 1) {
      ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'mixed-types', count: presentCount, sampled: ctx.sampled,
        detail: `${present.map((t) => `${t.name} ${t.count}`).join(', ')}; kept as a JSON column (or pick one type: the others go to rejects)` });
      add('json');
      continue;
    }
    const name = [...kinds][0]!;
    const type = SCALAR[name];
    if (!type) {
      ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'kept-as-json', count: presentCount, sampled: ctx.sampled,
        detail: `BSON ${name} has no MySQL column type; kept as JSON (Extended JSON)` });
      add('json');
      continue;
    }
    const s = ctx.stats.byPath.get(statPath);
    if (type === 'string') {
      const longest = s?.maxChars ?? 0;
      if (longest > 128) add('text'); // VARCHARs share InnoDB's 64 KB row limit
      else add('string', { maxLength: Math.min(16383, Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, longest) * 2)))) });
    } else {
      add(type);
    }
    const wontFit = (type === 'date' ? s?.datesOutOfRange : type === 'double' ? s?.nonFinite : 0) ?? 0;
    if (wontFit > 0) {
      ctx.findings.push({ collection: ctx.collection, path: statPath, kind: 'would-not-fit', count: wontFit, sampled: ctx.sampled,
        detail: type === 'date' ? 'dates outside years 1000-9999 (MySQL DATETIME); those documents would go to rejects'
          : 'NaN or Infinity (MySQL DOUBLE has neither); those documents would go to rejects' });
    }
  }
}

interface PathStats {
  maxChars: number;
  datesOutOfRange: number;
  nonFinite: number;
}
interface SampleStats {
  byPath: Map<string, PathStats>;
  /** Array path -> number of elements seen (the base for child-table findings). */
  arrayElements: Map<string, number>;
}

/** What the schema analyser does not keep: longest strings, dates and doubles MySQL cannot hold. */
function collectStats(docs: Record<string, unknown>[]): SampleStats {
  const byPath = new Map<string, PathStats>();
  const arrayElements = new Map<string, number>();
  const stat = (p: string) => {
    let s = byPath.get(p);
    if (!s) byPath.set(p, (s = { maxChars: 0, datesOutOfRange: 0, nonFinite: 0 }));
    return s;
  };
  const visit = (value: unknown, path: string, elementBase: string | null): void => {
    const key = elementBase ? `${elementBase}[].${path}` : path;
    if (typeof value === 'string') {
      const s = stat(key);
      s.maxChars = Math.max(s.maxChars, [...value].length);
    } else if (value instanceof Date) {
      const y = value.getUTCFullYear();
      if (Number.isNaN(y) || y < 1000 || y > 9999) stat(key).datesOutOfRange++;
    } else if ((value as { _bsontype?: string })?._bsontype === 'Double') {
      if (!Number.isFinite((value as { value: number }).value)) stat(key).nonFinite++;
    } else if (Array.isArray(value)) {
      if (elementBase === null) {
        arrayElements.set(path, (arrayElements.get(path) ?? 0) + value.length);
        for (const el of value) if (isSubDocument(el)) for (const [k, v] of Object.entries(el)) visit(v, k, path);
      }
    } else if (isSubDocument(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`, elementBase);
    }
  };
  for (const d of docs) for (const [k, v] of Object.entries(d)) if (k !== '_id') visit(v, k, null);
  return { byPath, arrayElements };
}
