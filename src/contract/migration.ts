/**
 * Workflow inputs, results and query shapes. Plain JSON: these are what operators type into
 * the Temporal UI / `temporal` CLI and what reports read. No secrets ever: servers are names
 * that workers resolve from their own config.
 */
import type { CdcProgress, OnlineResult, WaveCutoverOutcome, WaveCutoverProgress } from './online';
import { z } from 'zod';
import {
  auditCheckSchema, backupRefSchema, columnOverrideSchema, databaseRefSchema, optionsSchema, tenantMigrationInputSchema,
  tenantSchema, waveSchema,
} from './manifestSchema';
import { MIGRATION_PHASES } from './phases';
import type { SourceSplit } from './splitPlan';
import { splitWaveAccountingSchema } from './splitAccounting';

/** Option fields are documented in README ("The manifest"); the schemas are in manifestSchema.ts. */
/** A server name and database; a source may be one tenant's slice of a shared database (src/split). */
export type DatabaseRef = z.infer<typeof databaseRefSchema> & { split?: SourceSplit };
export type BackupRef = z.infer<typeof backupRefSchema>;
export type ColumnOverride = z.infer<typeof columnOverrideSchema>;
export type AuditCheckSpec = z.infer<typeof auditCheckSchema>;
export type MigrationOptions = z.infer<typeof optionsSchema>;
export type TenantSpec = z.infer<typeof tenantSchema>;
export type TenantMigrationInput = z.infer<typeof tenantMigrationInputSchema>;
export type MigrationWaveInput = z.infer<typeof waveSchema>;

export type { MigrationPhase } from './phases';

const phaseSchema = z.enum(MIGRATION_PHASES);

export const tableResultSchema = z.object({
  table: z.string(),
  key: z.array(z.string()).nullable(),
  sourceRows: z.number(),
  targetRows: z.number(),
  chunks: z.number(),
  bytes: z.number(),
  copyMs: z.number(),
  ranges: z.number(),
  /** Chunks re-read from the target and compared with the checksum taken from the source at copy time. */
  chunksVerified: z.number(),
  /** Of those, chunks also re-read from the source (a sample, or all with recheckSource). */
  sourceChunksReread: z.number().optional(),
  /**
   * Of the verified chunks, those re-read cold from the target (recheck, chunks an older version wrote,
   * or rows written since the copy); the others were proven by the checksum read back when they were
   * written plus the xmin census.
   */
  targetChunksReread: z.number().optional(),
  checksumOk: z.boolean(),
  /**
   * Rows already committed where a retried copy attempt (after a crash or error) resumed, summed
   * over the ranges that had one; absent when no attempt was retried.
   */
  resumedFromRows: z.number().optional(),
});
export type TableResult = z.infer<typeof tableResultSchema>;

export const validationFindingSchema = z.object({ check: z.string(), table: z.string().optional(), ok: z.boolean(), message: z.string() });
export type ValidationFinding = z.infer<typeof validationFindingSchema>;

export const validationResultSchema = z.object({
  mode: z.enum(['full', 'sample', 'none']),
  ok: z.boolean(),
  tables: z.array(tableResultSchema),
  findings: z.array(validationFindingSchema),
});
export type ValidationResult = z.infer<typeof validationResultSchema>;

export const phaseTimingSchema = z.object({ phase: phaseSchema, startedAt: z.string(), endedAt: z.string().optional(), ms: z.number().optional() });
export type PhaseTiming = z.infer<typeof phaseTimingSchema>;

export const throughputSampleSchema = z.object({ at: z.string(), rows: z.number(), bytes: z.number() });
export type ThroughputSample = z.infer<typeof throughputSampleSchema>;

/** What the tenant's `progress` query answers. */
export const tenantProgressSchema = z.object({
  tenantId: z.string(),
  waveId: z.string().optional(),
  phase: phaseSchema,
  paused: z.boolean(),
  tablesTotal: z.number(),
  tablesDone: z.number(),
  rowsCopied: z.number(),
  rowsTotal: z.number(),
  bytesCopied: z.number(),
  rowsPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  permitsWaitedMs: z.number(),
  /** Copy activities running right now (0 once a pause has taken effect). */
  activeCopies: z.number().optional(),
  errors: z.array(z.string()),
  lastError: z.string().optional(),
  startedAt: z.string().optional(),
  /** Online tenants: the change stream (lag, applied/s, last applied commit). */
  cdc: z.custom<CdcProgress>().optional(),
  /** In `waiting-permit`: the pool waited for (`tmig status` adds its limit and holders). */
  waitingFor: z.string().optional(),
});
export type TenantProgress = z.infer<typeof tenantProgressSchema>;

export const tenantMigrationResultSchema = z.object({
  tenantId: z.string(),
  ok: z.boolean(),
  /** True when a previous run had already completed and validated this target. */
  alreadyComplete: z.boolean().optional(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  tables: z.array(tableResultSchema),
  phases: z.array(phaseTimingSchema),
  throughput: z.array(throughputSampleSchema),
  validation: validationResultSchema.optional(),
  reportPath: z.string().optional(),
  rowsCopied: z.number(),
  bytesCopied: z.number(),
  /** Online tenants: streaming, cutover and rollback. */
  online: z.custom<OnlineResult>().optional(),
});
export type TenantMigrationResult = z.infer<typeof tenantMigrationResultSchema>;

export const waveTenantOutcomeSchema = z.object({
  tenantId: z.string(), ok: z.boolean(), error: z.string().optional(), rowsCopied: z.number().optional(), ms: z.number().optional(),
  /** Innermost failure type (`SourceMissing`, `Cancelled`, ...). */
  errorType: z.string().optional(),
  /** The target was already complete and validated from this source: nothing was copied. */
  alreadyComplete: z.boolean().optional(),
  /** Tenant workflow id of this run (`tenant-<tenantId>@<waveId>`). */
  workflowId: z.string().optional(),
});
export type WaveTenantOutcome = z.infer<typeof waveTenantOutcomeSchema>;

/** Outcome counts of a wave (exact, however many tenants; the outcome lists are samples). */
export const waveCountsSchema = z.object({
  total: z.number(),
  /** Migrated and validated by this run. */
  succeeded: z.number(),
  /** Already complete from an earlier run: nothing copied. */
  alreadyComplete: z.number(),
  failed: z.number(),
  /** Of `failed`: cancelled by an operator (or not started because the wave was cancelled). */
  cancelled: z.number(),
  /** Not started: the tenant was running elsewhere under the same run id. */
  skipped: z.number(),
  rowsCopied: z.number(),
});
export type WaveCounts = z.infer<typeof waveCountsSchema>;

/** What the wave's `progress` query answers. */
export const waveProgressSchema = z.object({
  waveId: z.string(),
  paused: z.boolean(),
  total: z.number(),
  pending: z.number(),
  running: z.array(z.string()),
  succeeded: z.number(),
  failed: z.array(waveTenantOutcomeSchema),
  rowsCopied: z.number(),
  /** Running tenants (at most 100): phase and counts as each last reported. */
  tenants: z.record(z.string(), tenantProgressSchema),
  counts: waveCountsSchema.optional(),
  /** When the wave (its first run) started: `tmig status` shows elapsed time and an ETA. */
  startedAt: z.string().optional(),
  /** Online waves: the wave cutover (batch, tenants in flight, outcomes). */
  cutover: z.custom<WaveCutoverProgress>().optional(),
});
export type WaveProgress = z.infer<typeof waveProgressSchema>;

export const migrationWaveResultSchema = z.object({
  waveId: z.string(),
  succeeded: z.array(waveTenantOutcomeSchema),
  failed: z.array(waveTenantOutcomeSchema),
  reportPath: z.string().optional(),
  counts: waveCountsSchema.optional(),
  /** Every failed tenant id (ids only, so 10,000 of them stay well inside payload limits). */
  failedTenantIds: z.array(z.string()).optional(),
  /** True when `succeeded`/`failed` (capped samples) hold fewer outcomes than `counts`. */
  truncated: z.boolean().optional(),
  /** This run's identity: `<waveId>.<start time>`; its reports live under runs/<runKey>/. */
  runKey: z.string().optional(),
  /** Split waves: the accounting of every source row (one entry per shared source and plan). */
  splitAccounting: z.array(splitWaveAccountingSchema).optional(),
  /** Online waves: each tenant cut over by the wave (write-blocked time, ok or the failed step); latest 500. */
  cutovers: z.array(z.custom<WaveCutoverOutcome>()).optional(),
  cutoverCounts: z.object({ ok: z.number(), failed: z.number() }).optional(),
});
export type MigrationWaveResult = z.infer<typeof migrationWaveResultSchema>;

/** Input of `validateMigration`: a migrated pair checked again, standalone. */
export const validateMigrationInputSchema = z.object({
  /** Label for the report; defaults to the target database name. */
  tenantId: z.string().optional(),
  source: databaseRefSchema,
  target: databaseRefSchema,
  mode: z.enum(['full', 'sample']).optional(),
  sampleRate: z.number().optional(),
  /** Re-read every chunk from the source too (default: a sample, plus every chunk from the target). */
  recheckSource: z.boolean().optional(),
  /** Re-read every chunk cold from the target, not trusting the copy-time read-back and the xmin census. */
  recheck: z.boolean().optional(),
  concurrency: z.number().optional(),
  /** Name key values in mismatch messages (they may be personal data). */
  reportKeys: z.boolean().optional(),
});
export type ValidateMigrationInput = z.infer<typeof validateMigrationInputSchema>;

export const validateMigrationResultSchema = z.object({
  tenantId: z.string(),
  validation: validationResultSchema,
  reportPath: z.string().optional(),
  /** True when the target carried tmig's bookkeeping and was marked failed after a mismatch. */
  markedFailed: z.boolean().optional(),
});
export type ValidateMigrationResult = z.infer<typeof validateMigrationResultSchema>;
