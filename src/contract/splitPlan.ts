import { z } from 'zod';

/**
 * The split plan: how one shared multi-tenant database is cut into per-tenant slices (rooted,
 * reached, shared and excluded tables), and the tenant-source declaration that points at it.
 * Plain JSON, I/O-free: workflows and the CLI validate with the same schema.
 */

const name = z.string().min(1).max(400);

/** One join step: rows of `from` whose `columns` equal `refColumns` of a row of `to`. */
export const pathStepSchema = z.object({
  from: name,
  columns: z.array(name).min(1),
  to: name,
  refColumns: z.array(name).min(1),
  /** The foreign key this step follows, when discovered from the catalog. */
  via: name.optional(),
}).strict().refine((s) => s.columns.length === s.refColumns.length, { message: 'columns and refColumns differ in length' });

/** A path from a reached table to a rooted table; the tenant column is the rooted table's. */
export const splitPathSchema = z.object({ steps: z.array(pathStepSchema).min(1).max(16) }).strict();

const rowPolicy = z.enum(['fail', 'skip']);

export const splitPlanSchema = z.object({
  /** The tenant column's usual name; tables listed under `rooted` may use another. */
  tenantColumn: name,
  /** `schema.table` -> the tenant column of that table. */
  rooted: z.record(name, name),
  /** `schema.table` -> the path its rows follow to a rooted table (the chosen one). */
  reached: z.record(name, splitPathSchema).default({}),
  /** Copied whole to every tenant. */
  shared: z.array(name).default([]),
  /** Not copied (the empty table still exists in every tenant: the schema is full). */
  excluded: z.array(name).default([]),
  /**
   * Other paths of reached tables (discovered where a table reaches the tenant two ways).
   * Rows whose paths disagree are reported as reaching two tenants; the chosen path decides.
   */
  alternatePaths: z.record(name, z.array(splitPathSchema)).default({}),
  /** Rows with a NULL or unknown tenant: fail the wave (default) or leave them behind, reported. */
  onOrphans: rowPolicy.default('fail'),
  /** Rows that reach two tenants: fail the wave (default) or leave them behind (copied to no tenant), reported. */
  onTwoTenants: rowPolicy.default('fail'),
  /** Report sample keys of orphan and two-tenant rows (keys may be personal data). */
  reportKeys: z.boolean().default(false),
  /**
   * Drop the tenant column from every rooted table in the targets (with the indexes, FKs and checks
   * on it). A tenant column that is part of a table's key is kept (and said so in the notes).
   */
  dropTenantColumn: z.boolean().default(false),
  /** Keep sequences at the source's global value instead of past the tenant's own max. */
  keepGlobalSequences: z.boolean().default(false),
  /** Only for review: what discovery could not decide. Must be empty to use the plan. */
  unplaceable: z.array(name).default([]),
}).strict();

export type PathStep = z.infer<typeof pathStepSchema>;
export type SplitPath = z.infer<typeof splitPathSchema>;
export type SplitPlan = z.infer<typeof splitPlanSchema>;
export type SplitPlanInput = z.input<typeof splitPlanSchema>;

/**
 * The split declaration of a tenant source: the tenant key value, and either a plan (inline, or
 * named from the wave's `splitPlans`) or just the tenant column (the plan is discovered).
 */
export const sourceSplitSchema = z.object({
  tenantKey: z.object({ column: name.optional(), value: z.string().min(1).max(200) }).strict(),
  plan: z.union([name, splitPlanSchema]).optional(),
}).strict().refine((s) => s.plan !== undefined || s.tenantKey.column !== undefined, {
  message: 'a split needs tenantKey.column or a plan',
});

export type SourceSplit = z.infer<typeof sourceSplitSchema>;

/** `schema.table`, the key tables have in a plan. */
export function planTableName(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}
