import { z } from 'zod';

/**
 * The split accounting a wave computes at its end (activity `accountSplitWave`): for each shared
 * source and plan of the wave, every source row is in exactly one tenant's target, in a shared
 * table, or counted as having no tenant / an unknown tenant / two tenants. Counts and table names
 * only: no key or row value enters history (sample keys, when the plan asks, go to the report file).
 */

export const splitTableTallySchema = z.object({
  table: z.string(),
  role: z.enum(['rooted', 'reached', 'shared', 'excluded']),
  sourceRows: z.number(),
  /** Rows of this wave's tenants (by the chosen path). */
  waveTenantRows: z.number(),
  /** Of those, rows found in the tenants' targets (shared tables: the copies of every succeeded tenant count once each). */
  targetRows: z.number(),
  /** Rows of tenants the split lists in other phases (not this wave). */
  otherPhaseRows: z.number(),
  noTenantRows: z.number(),
  /** Rows whose tenant is in no phase of the split (or, without the split's full list, in no tenant of this wave). */
  unknownTenantRows: z.number(),
  twoTenantRows: z.number(),
  balanced: z.boolean(),
});

export const splitWaveAccountingSchema = z.object({
  source: z.object({ server: z.string(), database: z.string() }),
  /** The plan's name in the wave's splitPlans, or `inline` / `discovered:<column>`. */
  plan: z.string(),
  tenants: z.number(),
  /** True when the wave's manifest listed every tenant of the split (splitTenants): unknown tenants are then real orphans. */
  knowsAllPhases: z.boolean(),
  tables: z.array(splitTableTallySchema),
  /** Problems the plan's policies make fatal (no tenant, unknown tenant, two tenants) and targets that do not hold their slice. */
  failures: z.array(z.string()),
  /** Problems the plan lets through (reported). */
  warnings: z.array(z.string()),
  /** Every row accounted for: no failures, every tenant of the wave succeeded and holds exactly its slice. */
  complete: z.boolean(),
  /** The full accounting (per tenant, with sample keys when the plan sets reportKeys). */
  reportPath: z.string().optional(),
});

export type SplitTableTally = z.infer<typeof splitTableTallySchema>;
export type SplitWaveAccounting = z.infer<typeof splitWaveAccountingSchema>;

/** What the wave hands the accounting activity for one source and plan. */
export interface SplitWaveAccountingRequest {
  waveId: string;
  runKey?: string;
  source: { server: string; database: string };
  plan: string;
  /** The plan itself, or the tenant column to discover it from. */
  planSpec: { plan: unknown } | { column: string };
  /** The wave's tenants of this source and plan: tenant key value, target, and whether the tenant succeeded. */
  tenants: { tenantId: string; value: string; target: { server: string; database: string }; ok: boolean }[];
  /** Every tenant key value of the split (all phases), when the manifest lists them. */
  allTenants?: string[];
}
