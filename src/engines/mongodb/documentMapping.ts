/**
 * Maps one document to its MySQL rows by the plan (parent row plus child-table rows), and
 * rows back to the document. A document the plan cannot hold is rejected, never trimmed.
 */
import { columnText, columnValue, describeValue, idText, isSubDocument, ValueDoesNotFit } from './columnValues';
import type { ChildPlan, CollectionPlan, ColumnPlan } from '../../contract/lazyPlan';

export type ColumnText = string | null;

export interface MappedDocument {
  /** `_id` as text. */
  id: string;
  /** Values in `plan.columns` order. */
  row: ColumnText[];
  /** One entry per `plan.children`, rows in array order (position = index). */
  children: ColumnText[][][];
}

/** A document that does not fit the plan; `reason` names the field and the rule, never the value. */
export class DocumentRejected extends Error {
  constructor(readonly collection: string, readonly id: string, readonly reason: string) {
    super(`collection ${collection}, _id ${id}: ${reason}`);
  }
}

export function mapDocument(plan: CollectionPlan, doc: Record<string, unknown>): MappedDocument {
  let id: string;
  try {
    id = idText(plan.idType, doc._id);
  } catch (err) {
    throw new DocumentRejected(plan.collection, String(doc._id), `_id: ${(err as Error).message} (plan idType ${plan.idType})`);
  }
  const reject = (reason: string): never => {
    throw new DocumentRejected(plan.collection, id, reason);
  };
  const { _id: _ignored, ...rest } = doc;
  const shapes = shapesOf(plan);
  const row = mapColumns(shapes.parent, rest, reject);
  const children = plan.children.map((child, c) => {
    const arr = getPath(rest, child.path);
    if (arr === undefined || arr === null) return [];
    if (!Array.isArray(arr)) return reject(`${child.path}: ${describeValue(arr)} where the plan has an array of sub-documents`);
    return arr.map((el, i) => {
      if (!isSubDocument(el)) return reject(`${child.path}[${i}]: ${describeValue(el)} where the plan has a sub-document`);
      return mapColumns(shapes.children[c]!, el, (reason) => reject(`${child.path}[${i}].${reason}`));
    });
  });
  return { id, row, children };
}

/** A table's columns by path, the paths of its child tables and every proper prefix of both (sub-documents to walk). */
interface TableShape {
  columns: ColumnPlan[];
  /** `columns.length` when computed: a plan whose arrays were changed in place is computed again. */
  count: number;
  byPath: Map<string, ColumnPlan>;
  childPaths: Set<string>;
  prefixes: Set<string>;
}

function tableShape(columns: ColumnPlan[], childPaths: string[]): TableShape {
  const byPath = new Map(columns.map((c) => [c.path, c]));
  const prefixes = new Set<string>();
  for (const p of [...byPath.keys(), ...childPaths]) {
    const parts = p.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  return { columns, count: columns.length, byPath, childPaths: new Set(childPaths), prefixes };
}

/**
 * The plan's table shapes, computed once per plan object (the backfill and validation map a whole
 * collection with one plan). Keyed weakly by the column arrays, so a plan rebuilt from JSON gets its own.
 */
const shapeCache = new WeakMap<ColumnPlan[], { parent: TableShape; children: TableShape[] }>();

function shapesOf(plan: CollectionPlan): { parent: TableShape; children: TableShape[] } {
  const cached = shapeCache.get(plan.columns);
  const childPaths = plan.children.map((c) => c.path);
  const fits = (s: TableShape, columns: ColumnPlan[]) => s.columns === columns && s.count === columns.length;
  if (cached && fits(cached.parent, plan.columns) && cached.children.length === plan.children.length
    && cached.children.every((s, i) => fits(s, plan.children[i]!.columns))
    && cached.parent.childPaths.size === childPaths.length && childPaths.every((p) => cached.parent.childPaths.has(p))) return cached;
  const shapes = { parent: tableShape(plan.columns, childPaths), children: plan.children.map((c) => tableShape(c.columns, [])) };
  shapeCache.set(plan.columns, shapes);
  return shapes;
}

/** Values of the shape's columns from `doc`; any field of `doc` that no column (or child path) covers is a reject. */
function mapColumns(shape: TableShape, doc: Record<string, unknown>, reject: (reason: string) => never): ColumnText[] {
  const { columns, byPath, childPaths, prefixes } = shape;
  const out = new Map<string, ColumnText>();
  const walk = (obj: Record<string, unknown>, base: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = base ? `${base}.${key}` : key;
      if (value === undefined) continue;
      const col = byPath.get(path);
      if (col) {
        try {
          out.set(path, columnText(col.type, value, col.maxLength));
        } catch (err) {
          if (err instanceof ValueDoesNotFit) reject(`${path}: ${err.message}`);
          throw err;
        }
      } else if (childPaths.has(path)) {
        continue;
      } else if (value === null && prefixes.has(path)) {
        continue;
      } else if (isSubDocument(value) && prefixes.has(path)) {
        walk(value, path);
      } else {
        reject(`field ${path} (${describeValue(value)}) is not in the plan`);
      }
    }
  };
  walk(doc, '');
  return columns.map((c) => out.get(c.path) ?? null);
}

function getPath(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (!isSubDocument(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isSubDocument(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/**
 * The document that `mapped` rows stand for. NULL columns and empty child tables become absent
 * fields (MySQL cannot tell a null from a missing field; the README says so).
 */
export function assembleDocument(plan: CollectionPlan, mapped: MappedDocument, idValue: unknown): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: idValue };
  setColumns(doc, plan.columns, mapped.row);
  plan.children.forEach((child: ChildPlan, i) => {
    const rows = mapped.children[i] ?? [];
    if (rows.length === 0) return;
    setPath(doc, child.path, rows.map((r) => {
      const el: Record<string, unknown> = {};
      setColumns(el, child.columns, r);
      return el;
    }));
  });
  return doc;
}

function setColumns(doc: Record<string, unknown>, columns: ColumnPlan[], values: ColumnText[]): void {
  columns.forEach((c, i) => {
    const v = values[i];
    if (v !== null && v !== undefined) setPath(doc, c.path, columnValue(c.type, v));
  });
}
