/**
 * The lazy-migration mapping plan: which MySQL table and column each collection, field and
 * array of sub-documents becomes. The reviewed plan (YAML or JSON) is the contract.
 */
import { z } from 'zod';

/** Column types a document field can map to (each has one MySQL type, see mysql/lazyDdl.ts). */
export const COLUMN_TYPES = ['string', 'text', 'int', 'double', 'decimal', 'bool', 'date', 'objectId', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const ID_TYPES = ['objectId', 'string', 'int'] as const;
export type IdType = (typeof ID_TYPES)[number];

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'MySQL names here use letters, digits and _ (at most 64)');

export const columnPlanSchema = z.object({
  /** Dotted path inside the document (or sub-document for child tables), e.g. `address.city`. */
  path: z.string().min(1),
  column: identifier,
  type: z.enum(COLUMN_TYPES),
  /** For `string`: VARCHAR length; longer values are rejected. */
  maxLength: z.number().int().positive().max(16383).optional(),
});
export type ColumnPlan = z.infer<typeof columnPlanSchema>;

export const childPlanSchema = z.object({
  /** Path of the array of sub-documents in the parent document. */
  path: z.string().min(1),
  table: identifier,
  columns: z.array(columnPlanSchema),
});
export type ChildPlan = z.infer<typeof childPlanSchema>;

export const collectionPlanSchema = z.object({
  collection: z.string().min(1),
  table: identifier,
  idType: z.enum(ID_TYPES),
  columns: z.array(columnPlanSchema),
  children: z.array(childPlanSchema).default([]),
});
export type CollectionPlan = z.infer<typeof collectionPlanSchema>;

export const lazyPlanSchema = z.object({
  version: z.literal(1),
  /** How nested objects were mapped when the plan was proposed (informational once reviewed). */
  nested: z.enum(['flatten', 'json']).default('flatten'),
  collections: z.array(collectionPlanSchema).min(1),
}).superRefine((plan, ctx) => {
  const tables = new Set<string>();
  for (const c of plan.collections) {
    for (const t of [c.table, `${c.table}__rejects`, ...c.children.map((ch) => ch.table)]) {
      if (tables.has(t.toLowerCase())) ctx.addIssue({ code: 'custom', message: `table ${t} is used twice (collection ${c.collection})` });
      tables.add(t.toLowerCase());
    }
    const cols = new Set<string>(['_id']);
    for (const col of c.columns) {
      if (cols.has(col.column.toLowerCase())) ctx.addIssue({ code: 'custom', message: `collection ${c.collection}: column ${col.column} is used twice` });
      cols.add(col.column.toLowerCase());
    }
    for (const ch of c.children) {
      const childCols = new Set<string>(['_parent_id', '_position']);
      for (const col of ch.columns) {
        if (childCols.has(col.column.toLowerCase())) ctx.addIssue({ code: 'custom', message: `collection ${c.collection}, ${ch.path}: column ${col.column} is used twice` });
        childCols.add(col.column.toLowerCase());
      }
    }
  }
});
export type LazyPlan = z.infer<typeof lazyPlanSchema>;

/** Parses a reviewed plan; the error names the field that is wrong. */
export function parseLazyPlan(value: unknown, source = 'plan'): LazyPlan {
  const res = lazyPlanSchema.safeParse(value);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    throw new Error(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return res.data;
}

export function collectionPlan(plan: LazyPlan, collection: string): CollectionPlan {
  const found = plan.collections.find((c) => c.collection === collection);
  if (!found) throw new Error(`collection "${collection}" is not in the plan (plan has ${plan.collections.map((c) => c.collection).join(', ')})`);
  return found;
}
