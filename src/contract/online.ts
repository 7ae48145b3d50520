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
