import type { MigrationOptions } from './migration';

/** How an intake turns a backup object into a tenantMigration input (plain JSON: it sits in schedules). */
export interface IntakePlan {
  /** SQL Server that restores the backups (a `servers.<name>` with `backupDir`). */
  source: { server: string };
  /** Target PostgreSQL server and database name template, e.g. `tenant_{tenant}`. */
  target: { server: string; databaseTemplate: string };
  /** Database name the backup is restored under on the source server. Default `restore_{tenant}`. */
  restoreDatabaseTemplate?: string;
  options?: MigrationOptions;
  waveId?: string;
}

export interface IntakeSource {
  bucket: string;
  /** Key prefix to list (e.g. `backups/`); '' for the whole bucket. */
  prefix: string;
  /** Regular expression over the object key with a named group `tenant`, e.g. `^(?<tenant>[^/]+)/[^/]+$`. */
  tenantPattern: string;
}

/** One uploaded backup found by a scan or announced by an S3 event. */
export interface BackupObject {
  tenant: string;
  bucket: string;
  key: string;
  /** Normalized ETag (bare lower-case hex). */
  etag: string;
  size: number;
}

export interface StartOutcome {
  workflowId: string;
  tenant: string;
  key: string;
  status: 'started' | 'already-started';
}

export interface ListBackupsInput extends IntakeSource {
  /** List keys after this one (resume point of a scan). */
  startAfter?: string;
  maxKeys?: number;
}

export interface ListBackupsResult {
  objects: BackupObject[];
  listed: number;
  /** Keys passed over (no tenant match, not a backup name, later volumes), at most 100. */
  ignored: string[];
  ignoredCount: number;
  /** Set when more keys follow. */
  nextStartAfter?: string;
}

export interface StartMigrationsInput {
  objects: BackupObject[];
  plan: IntakePlan;
}

export interface IntakeScanTotals {
  listed: number;
  matched: number;
  started: number;
  alreadyStarted: number;
  ignored: number;
  /** Workflow ids started by this scan (at most 1000 kept). */
  startedIds: string[];
}

export interface IntakeScanInput extends IntakeSource, IntakePlan {
  pageSize?: number;
  /** Carried across continue-as-new; not set by callers. */
  startAfter?: string;
  carry?: IntakeScanTotals;
}
