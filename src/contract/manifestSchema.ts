import { z } from 'zod';
import { sourceSplitSchema, splitPlanSchema } from './splitPlan';

/**
 * The wave manifest: the `migrationWave` input. Deterministic and I/O-free, so the workflow
 * validates its own input with the same schema the CLI uses before starting anything.
 */
const name = z.string().min(1).max(200);
const databaseRef = z.object({ server: name.regex(/^[A-Za-z0-9_.-]+$/, 'server names use letters, digits, _ . -'), database: name }).strict();

export const optionsSchema = z.object({
  maxConcurrentTenants: z.number().int().min(1).max(1000).optional(),
  chunkRows: z.number().int().min(1).max(10_000_000).optional(),
  tableConcurrency: z.number().int().min(1).max(64).optional(),
  splitRowsThreshold: z.number().int().min(1).optional(),
  rangesPerTable: z.number().int().min(1).max(64).optional(),
  validation: z.enum(['full', 'sample', 'none']).optional(),
  sampleRate: z.number().min(0).max(1).optional(),
  recheckSource: z.boolean().optional(),
  audit: z.boolean().optional(),
  auditChecks: z.array(z.object({
    table: name, column: name.optional(),
    check: z.enum(['notNull', 'pattern', 'range', 'unique', 'references']),
    pattern: z.string().optional(), min: z.union([z.string(), z.number()]).optional(), max: z.union([z.string(), z.number()]).optional(),
    references: z.object({ table: name, column: name }).optional(),
    policy: z.enum(['warn', 'block']).optional(),
  }).strict()).optional(),
  throttle: z.boolean().optional(),
  columnOverrides: z.array(z.object({ column: name, targetType: name }).strict()).optional(),
  lowerCaseNames: z.boolean().optional(),
  keepArtifacts: z.boolean().optional(),
  replaceExisting: z.boolean().optional(),
}).strict();

export const tenantSchema = z.object({
  tenantId: name.regex(/^[A-Za-z0-9_.-]+$/, 'tenant ids use letters, digits, _ . - (they become workflow ids)'),
  source: databaseRef.extend({ split: sourceSplitSchema.optional() }),
  target: databaseRef,
  backup: z.object({ bucket: name, key: z.string().min(1), etag: z.string().optional() }).strict().optional(),
  options: optionsSchema.optional(),
}).strict();

export const waveSchema = z.object({
  waveId: name.regex(/^[A-Za-z0-9_.-]+$/, 'wave ids use letters, digits, _ . -'),
  tenants: z.array(tenantSchema).min(1),
  options: optionsSchema.optional(),
  splitPlans: z.record(name, splitPlanSchema).optional(),
}).strict().superRefine((wave, ctx) => {
  const seen = new Map<string, number>();
  const targets = new Map<string, number>();
  wave.tenants.forEach((t, i) => {
    if (seen.has(t.tenantId)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'tenantId'], message: `duplicate tenant id ${t.tenantId} (also tenants[${seen.get(t.tenantId)}])` });
    seen.set(t.tenantId, i);
    const plan = t.source.split?.plan;
    if (typeof plan === 'string' && !wave.splitPlans?.[plan]) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'source', 'split', 'plan'], message: `split plan "${plan}" is not in splitPlans` });
    const tk = `${t.target.server}/${t.target.database}`;
    if (targets.has(tk)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'target'], message: `target ${tk} is also the target of tenants[${targets.get(tk)}]` });
    targets.set(tk, i);
  });
});
