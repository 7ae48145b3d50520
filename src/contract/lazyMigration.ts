/**
 * Contract of the lazy-migration workflow (MongoDB -> MySQL, application-driven): its name, input
 * and status shapes, updates and query. Shared by the workflow, activities, worker and CLI.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const LAZY_MIGRATION_WORKFLOW = 'lazyMigration';

export function lazyMigrationWorkflowId(service: string): string {
  return `lazy-${service}`;
}

export interface ServerDatabase {
  /** Server name from the worker config (kind mongodb or mysql); never a URL. */
  server: string;
  database: string;
}

export interface LazyMigrationInput {
  service: string;
  mongo: ServerDatabase;
  mysql: ServerDatabase;
  /** The reviewed mapping plan (names and types only; no document data). */
  plan: unknown;
  /** The applications' stage cache TTL (ms); a stage change reaches every instance within it. Default 2000. */
  stageTtlMs?: number;
  /** Backfill chunk size (documents per InnoDB transaction). Default 1000. */
  chunkSize?: number;
  /** Throttle: pause after each backfill chunk (ms). Default 0. */
  chunkDelayMs?: number;
  /** Where cleanup writes the archives of the dropped collections (worker path). Default `<workDir>/lazy-archives/<service>`. */
  archiveDir?: string;
}

/** The five stages (numbers are stored in MySQL's control table). */
export const LazyStage = {
  Legacy: 1,
  DualWrite: 2,
  ReadThrough: 3,
  Backfill: 4,
  Cleanup: 5,
} as const;

export const STAGE_NAMES = ['', 'legacy', 'dual-write', 'read-through', 'backfill', 'cleanup'] as const;

export interface BackfillProgress {
  collection: string;
  docsRead: number;
  docsCopied: number;
  docsSkipped: number;
  docsRejected: number;
  done: boolean;
  resumedFrom?: string | null;
  repaired?: number;
}

export interface ValidationSummary {
  passed: boolean;
  collections: {
    collection: string; passed: boolean; mongoDocuments: number; mysqlRows: number; matched: number; appOwned: number;
    appDeleted: number; rejected: number; mismatchCount: number; mismatches: { collection: string; _id: string; problem: string }[];
  }[];
}

/** How each document reached MySQL (counts only). */
export interface MigratedCounts {
  collection: string;
  lazily: number;
  dualWritten: number;
  byBackfill: number;
  byApplication: number;
  rejected: number;
}

export interface LazyStatus {
  service: string;
  stage: number;
  stageName: string;
  /** True once every writer runs dual write (stage 3 may start). */
  dualConfirmed: boolean;
  backfill: BackfillProgress[];
  backfillDone: boolean;
  validation: ValidationSummary | null;
  cleanup: { collection: string; file: string; documents: number }[] | null;
  counts: MigratedCounts[];
  history: { from: number; to: number; at: string }[];
  lastError: string | null;
  done: boolean;
}

export interface AdvanceRequest {
  /** The stage to move to: must be the next one. */
  to: number;
  /** Cleanup drops the MongoDB collections: it needs an explicit confirm. */
  confirm?: boolean;
}

export const advanceUpdate = defineUpdate<LazyStatus, [AdvanceRequest]>('advance');
export const rollbackUpdate = defineUpdate<LazyStatus, []>('rollback');
export const lazyStatusQuery = defineQuery<LazyStatus>('lazyStatus');

/** Failure type of a refused advance or rollback (not retried: the operator acts). */
export const ADVANCE_REFUSED = 'AdvanceRefused';
