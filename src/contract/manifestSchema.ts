import { z } from 'zod';
import { sourceSplitSchema, splitPlanSchema } from './splitPlan';
import { isTargetTypeName, TARGET_TYPE_RULE } from './typeName';

/**
 * The wave manifest: the `migrationWave` input. Deterministic and I/O-free, so the workflow
 * validates its own input with the same schema the CLI uses before starting anything.
 */
const name = z.string().min(1).max(200);
export const databaseRefSchema = z.object({ server: name.regex(/^[A-Za-z0-9_.-]+$/, 'server names use letters, digits, _ . -'), database: name }).strict();

/** A manifest check the audit runs on the source (`options.auditChecks`). */
export const auditCheckSchema = z.object({
  table: name, column: name.optional(),
  check: z.enum(['notNull', 'pattern', 'range', 'unique', 'references']),
  pattern: z.string().optional(), min: z.union([z.string(), z.number()]).optional(), max: z.union([z.string(), z.number()]).optional(),
  references: z.object({ table: name, column: name }).optional(),
  policy: z.enum(['warn', 'block']).optional(),
}).strict();

/** A per-column target type override (`schema.table.column` as named in the source). */
export const columnOverrideSchema = z.object({ column: name, targetType: name.refine(isTargetTypeName, TARGET_TYPE_RULE) }).strict();

/** A SQL Server backup to restore before migrating; the ETag is verified after download when given. */
export const backupRefSchema = z.object({ bucket: name, key: z.string().min(1), etag: z.string().optional() }).strict();

/** UTF-8 length without Buffer (this schema also runs inside workflows). */
function utf8Bytes(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** PostgreSQL cuts names to 63 bytes: two longer target names would silently become one database. */
const targetRef = databaseRefSchema.superRefine((ref, ctx) => {
  const bytes = utf8Bytes(ref.database);
  if (bytes > 63) ctx.addIssue({ code: 'custom', path: ['database'], message: `is ${bytes} bytes long; PostgreSQL database names are at most 63 bytes` });
});

export const optionsSchema = z.object({
  maxConcurrentTenants: z.number().int().min(1).max(1000).optional(),
  /** Rows per chunk (the unit of exactly-once commit and checksum). */
  chunkRows: z.number().int().min(1).max(10_000_000).optional(),
  /** Tables (or key ranges of tables) copied at once within one tenant. */
  tableConcurrency: z.number().int().min(1).max(64).optional(),
  /** Split tables with at least this many (estimated) rows into key ranges. */
  splitRowsThreshold: z.number().int().min(1).optional(),
  /** Ranges per split table. */
  rangesPerTable: z.number().int().min(1).max(64).optional(),
  validation: z.enum(['full', 'sample', 'none']).optional(),
  /** Share of chunks re-read in `sample` mode, and of chunks re-read from the source in `full` mode (0..1). */
  sampleRate: z.number().min(0).max(1).optional(),
  /** Re-read every validated chunk from the source as well (proves the source did not change since the copy). */
  recheckSource: z.boolean().optional(),
  /** Re-read every validated chunk cold from the target (default: the copy-time read-back plus the xmin census). */
  recheck: z.boolean().optional(),
  /** Read each chunk back in its own transaction and record the target checksum (default false: validation re-reads cold; true records the target checksum at copy time). */
  copyReadBack: z.boolean().optional(),
  /**
   * auto (default): PostgreSQL sources copy tables whose columns keep the same built-in types as
   * binary COPY (no text parsing in the target); text: canonical text COPY for every table.
   */
  copyFormat: z.enum(['auto', 'text']).optional(),
  /** Run the pre-migration audit. */
  audit: z.boolean().optional(),
  auditChecks: z.array(auditCheckSchema).optional(),
  /** Use concurrency governor permits for heavy phases. */
  throttle: z.boolean().optional(),
  /** Per-column type overrides (SQL Server sources). */
  columnOverrides: z.array(columnOverrideSchema).optional(),
  /** Lower-case identifiers (SQL Server sources). */
  lowerCaseNames: z.boolean().optional(),
  /** Keep the work directory and restored database after success (diagnosis). */
  keepArtifacts: z.boolean().optional(),
  /**
   * Replace a target database that tmig migrated for this tenant from another source (for
   * example an older backup). Never touches a database tmig did not create.
   */
  replaceExisting: z.boolean().optional(),
  replaceCompleted: z.boolean().optional(),
  reportKeys: z.boolean().optional(),
  /**
   * Multi-volume RAR backups: how long a run waits for volumes still missing from the bucket before it
   * fails naming them (default 3600), and how often it looks again (default 30).
   */
  volumeWaitSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional(),
  volumePollSeconds: z.number().int().min(1).max(3600).optional(),
  online: z.union([z.boolean(), z.object({
    lagThresholdSeconds: z.number().min(0).optional(),
    maxRetainedWalBytes: z.number().int().min(0).optional(),
    maxBatchChanges: z.number().int().min(1).max(1_000_000).optional(),
    sliceSeconds: z.number().int().min(1).max(3600).optional(),
    cutoverConcurrency: z.number().int().min(1).max(1000).optional(),
    cutoverAt: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'cutoverAt must be an ISO time, e.g. 2026-12-24T02:00:00Z').optional(),
    cutoverBatch: z.number().int().min(1).max(1000).optional(),
  }).strict()]).optional(),
}).strict();

export const tenantSchema = z.object({
  tenantId: name.regex(/^[A-Za-z0-9_.-]+$/, 'tenant ids use letters, digits, _ . - (they become workflow ids)'),
  source: databaseRefSchema.extend({ split: sourceSplitSchema.optional() }),
  target: targetRef,
  backup: backupRefSchema.optional(),
  options: optionsSchema.optional(),
}).strict();

export const waveSchema = z.object({
  waveId: name.regex(/^[A-Za-z0-9_.-]+$/, 'wave ids use letters, digits, _ . -'),
  tenants: z.array(tenantSchema).min(1),
  options: optionsSchema.optional(),
  splitPlans: z.record(name, splitPlanSchema).optional(),
  /**
   * Every tenant key value of a split, all phases, per plan name: the wave's accounting then tells
   * rows of tenants in other phases from rows of unknown tenants (orphans).
   */
  splitTenants: z.record(name, z.array(z.string().min(1).max(200))).optional(),
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

/** The `tenantMigration` input: a tenant of a wave, plus the wave it belongs to. */
export const tenantMigrationInputSchema = tenantSchema.extend({
  waveId: z.string().optional(),
  /** The wave run this tenant run belongs to (`<waveId>.<start>`); its reports go under runs/<runKey>/. */
  runKey: z.string().optional(),
});
