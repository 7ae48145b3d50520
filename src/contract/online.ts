/**
 * Online migration shapes (plain JSON, no row data): options, the `progress.cdc` fields, the
 * cutover/rollback record in the result and report, and the operator signals' arguments.
 */

export interface OnlineOptions {
  /** Cutover waits until the apply lag is at most this many seconds (default 5). */
  lagThresholdSeconds?: number;
  /** Fail (and drop the slot) when the slot retains more WAL than this (default 5 GB). */
  maxRetainedWalBytes?: number;
  /** Changes per apply transaction at most (default 5000). */
  maxBatchChanges?: number;
  /** Length of one streaming activity call (default 60 s); a cutover request interrupts it. */
  sliceSeconds?: number;
  /** Tenants cut over at once across all waves (the `cutover` governor pool's default limit, default 1). */
  cutoverConcurrency?: number;
  /**
   * Wave options only: when the wave cuts over its online tenants by itself (ISO time). Without it,
   * a `cutover` signal on the wave (`tmig cutover --wave`) starts the wave cutover.
   */
  cutoverAt?: string;
  /** Wave options only: tenants a wave cutover runs at once (default: cutoverConcurrency, else 1). */
  cutoverBatch?: number;
}

export type StreamState = 'streaming' | 'cutover' | 'rollback-window' | 'rolling-back' | 'confirmed' | 'rolled-back';

export interface CdcProgress {
  state: StreamState;
  direction: 'forward' | 'reverse';
  lagBytes: number;
  lagSeconds: number;
  appliedPerSecond: number;
  /** Source commit time of the last applied change (ISO). */
  lastAppliedCommitTime: string | null;
  retainedWalBytes: number;
  changesApplied: number;
  /** Since the copy ended, until the lag first fell under the threshold. */
  catchUpMs?: number;
  cutoverRequested: boolean;
  /** The tenant's latest cutover attempt (its wave waits for this to count a batch slot free). */
  lastCutover?: LastCutover;
}

/** Summary of a cutover attempt, small enough for progress signals. */
export interface LastCutover {
  /** 1 for the tenant's first attempt, then 2, ... */
  attempt: number;
  ok: boolean;
  writeBlockedMs: number;
  failedStep?: string;
  error?: string;
}

export interface CutoverStep {
  step: string;
  ms: number;
  detail?: string;
}

export interface CutoverAttempt {
  ok: boolean;
  steps: CutoverStep[];
  /** From the source freeze until the target opened for writes (or writes went back to the source). */
  writeBlockedMs: number;
  /** Source sessions ended at the freeze, by application name. */
  terminatedSessions: number;
  terminatedApplications: string[];
  failedStep?: string;
  error?: string;
}

export interface OnlineResult {
  changesApplied: number;
  lastAppliedCommitTime: string | null;
  catchUpMs?: number;
  cutovers: CutoverAttempt[];
  /** Tables compared whole against the frozen source at the successful cutover. */
  finalCheck?: { tables: number; rows: number; ok: boolean; mismatches: string[] };
  reverseChangesApplied?: number;
  outcome: 'confirmed' | 'rolled-back' | 'streaming' | 'failed';
  rollback?: { writeBlockedMs: number; steps: CutoverStep[] };
}

export interface CutoverRequest {
  /** Overrides options.online.lagThresholdSeconds for this cutover. */
  lagThresholdSeconds?: number;
}

/** The wave's `cutover` signal: cut its online tenants over, `batch` at a time. */
export interface WaveCutoverRequest {
  /** Tenants cut over at once (default: options.online.cutoverBatch, cutoverConcurrency, else 1). */
  batch?: number;
  /** Passed to each tenant's cutover (overrides options.online.lagThresholdSeconds). */
  lagThresholdSeconds?: number;
  /** Only these tenant ids (default: every online tenant of the wave). */
  tenants?: string[];
}

/** One tenant's cutover as its wave recorded it (wave result, progress and report). */
export interface WaveCutoverOutcome {
  tenantId: string;
  ok: boolean;
  writeBlockedMs: number;
  failedStep?: string;
  error?: string;
  /** When the wave recorded it (ISO). */
  at: string;
}

/** The wave's cutover state in its `progress` query. */
export interface WaveCutoverProgress {
  /** A wave cutover is running (by signal or at options.online.cutoverAt). */
  active: boolean;
  by?: 'signal' | 'schedule';
  batch: number;
  /** Tenant ids being cut over now. */
  inFlight: string[];
  /** Cutover time set in the manifest, when one is. */
  scheduledAt?: string;
  ok: number;
  failed: number;
  /** The latest outcomes (at most 50). */
  outcomes: WaveCutoverOutcome[];
}
