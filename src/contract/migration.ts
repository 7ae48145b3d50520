import type { SourceSplit, SplitPlan } from './splitPlan';

/**
 * Workflow inputs, results and query shapes. Plain JSON: these are what operators type into
 * the Temporal UI / `temporal` CLI and what reports read. No secrets ever: servers are names
 * that workers resolve from their own config.
 */

export interface DatabaseRef {
  /** Server name from the worker config (`servers.<name>`). */
  server: string;
  database: string;
  /** A source that is one tenant's slice of a shared database (issue 14; src/split). */
  split?: SourceSplit;
}

/** A SQL Server backup to restore before migrating (issue: backup intake). */
export interface BackupRef {
  bucket: string;
  key: string;
  /** ETag of the object as listed; verified after download when given. */
  etag?: string;
}

export interface ColumnOverride {
  /** `schema.table.column` as named in the source. */
  column: string;
  targetType: string;
}

export interface AuditCheckSpec {
  table: string;
  column?: string;
  check: 'notNull' | 'pattern' | 'range' | 'unique' | 'references';
  pattern?: string;
  min?: string | number;
  max?: string | number;
  references?: { table: string; column: string };
  policy?: 'warn' | 'block';
}

export interface MigrationOptions {
  maxConcurrentTenants?: number;
  /** Rows per chunk (the unit of exactly-once commit and checksum). */
  chunkRows?: number;
  /** Tables (or key ranges of tables) copied at once within one tenant. */
  tableConcurrency?: number;
  /** Split tables with at least this many (estimated) rows into key ranges. */
  splitRowsThreshold?: number;
  /** Ranges per split table. */
  rangesPerTable?: number;
  validation?: 'full' | 'sample' | 'none';
  /** Share of chunks re-read in `sample` mode, and of chunks re-read from the source in `full` mode (0..1). */
  sampleRate?: number;
  /** Re-read every validated chunk from the source as well (proves the source did not change since the copy). */
  recheckSource?: boolean;
  /** Run the pre-migration audit. */
  audit?: boolean;
  auditChecks?: AuditCheckSpec[];
  /** Use concurrency governor permits for heavy phases. */
  throttle?: boolean;
  /** Per-column type overrides (SQL Server sources). */
  columnOverrides?: ColumnOverride[];
  /** Lower-case identifiers (SQL Server sources). */
  lowerCaseNames?: boolean;
  /** Keep the work directory and restored database after success (diagnosis). */
  keepArtifacts?: boolean;
  /**
   * Replace a target database that tmig migrated for this tenant from another source (for
   * example an older backup). Never touches a database tmig did not create.
   */
  replaceExisting?: boolean;
}

export interface TenantSpec {
  tenantId: string;
  source: DatabaseRef;
  target: DatabaseRef;
  backup?: BackupRef;
  options?: MigrationOptions;
}

export interface TenantMigrationInput extends TenantSpec {
  waveId?: string;
}

export interface MigrationWaveInput {
  waveId: string;
  tenants: TenantSpec[];
  options?: MigrationOptions;
  /** Split plans tenants name in `source.split.plan` (resolved into each child's input). */
  splitPlans?: Record<string, SplitPlan>;
}

import type { MigrationPhase } from './phases';

export type { MigrationPhase } from './phases';

export interface TableResult {
  table: string;
  key: string[] | null;
  sourceRows: number;
  targetRows: number;
  chunks: number;
  bytes: number;
  copyMs: number;
  ranges: number;
  /** Chunks re-read from the target and compared with the checksum taken from the source at copy time. */
  chunksVerified: number;
  /** Of those, chunks also re-read from the source (a sample, or all with recheckSource). */
  sourceChunksReread?: number;
  checksumOk: boolean;
  /**
   * Rows already committed where a retried copy attempt (after a crash or error) resumed, summed
   * over the ranges that had one; absent when no attempt was retried.
   */
  resumedFromRows?: number;
}

export interface ValidationFinding {
  check: string;
  table?: string;
  ok: boolean;
  message: string;
}

export interface ValidationResult {
  mode: 'full' | 'sample' | 'none';
  ok: boolean;
  tables: TableResult[];
  findings: ValidationFinding[];
}

export interface PhaseTiming {
  phase: MigrationPhase;
  startedAt: string;
  endedAt?: string;
  ms?: number;
}

export interface ThroughputSample {
  at: string;
  rows: number;
  bytes: number;
}

export interface TenantProgress {
  tenantId: string;
  waveId?: string;
  phase: MigrationPhase;
  paused: boolean;
  tablesTotal: number;
  tablesDone: number;
  rowsCopied: number;
  rowsTotal: number;
  bytesCopied: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  permitsWaitedMs: number;
  /** Copy activities running right now (0 once a pause has taken effect). */
  activeCopies?: number;
  errors: string[];
  lastError?: string;
  startedAt?: string;
}

export interface TenantMigrationResult {
  tenantId: string;
  ok: boolean;
  /** True when a previous run had already completed and validated this target. */
  alreadyComplete?: boolean;
  error?: { type: string; message: string };
  tables: TableResult[];
  phases: PhaseTiming[];
  throughput: ThroughputSample[];
  validation?: ValidationResult;
  reportPath?: string;
  rowsCopied: number;
  bytesCopied: number;
}

export interface WaveTenantOutcome {
  tenantId: string;
  ok: boolean;
  error?: string;
  rowsCopied?: number;
  ms?: number;
}

export interface WaveProgress {
  waveId: string;
  paused: boolean;
  total: number;
  pending: number;
  running: string[];
  succeeded: number;
  failed: WaveTenantOutcome[];
  rowsCopied: number;
  tenants: Record<string, TenantProgress>;
}

export interface MigrationWaveResult {
  waveId: string;
  succeeded: WaveTenantOutcome[];
  failed: WaveTenantOutcome[];
  reportPath?: string;
}

/** Input of `validateMigration`: a migrated pair checked again, standalone. */
export interface ValidateMigrationInput {
  /** Label for the report; defaults to the target database name. */
  tenantId?: string;
  source: DatabaseRef;
  target: DatabaseRef;
  mode?: 'full' | 'sample';
  sampleRate?: number;
  /** Re-read every chunk from the source too (default: a sample, plus every chunk from the target). */
  recheckSource?: boolean;
  concurrency?: number;
}

export interface ValidateMigrationResult {
  tenantId: string;
  validation: ValidationResult;
  reportPath?: string;
}
