import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure taxonomy: the one list of failure types, used by activities and workflows alike.
 * Every type here is permanent (non-retryable: retrying cannot help); anything else thrown is
 * transient and retried with backoff by the activity's retry policy.
 */
export const FailureType = {
  /** A manifest, config or input field is wrong (the message names it). */
  BadInput: 'BadInput',
  /** The source database does not exist. */
  SourceMissing: 'SourceMissing',
  /** A server stayed unreachable for `unreachableAttempts` attempts (retried until then). */
  ServerUnreachable: 'ServerUnreachable',
  /** The target database holds something tmig must not overwrite. */
  TargetConflict: 'TargetConflict',
  /** A source type has no mapping. */
  UnsupportedType: 'UnsupportedType',
  /** Validation found the target different from the source. */
  ValidationMismatch: 'ValidationMismatch',
  /** The pre-migration audit found blocking problems. */
  AuditBlocked: 'AuditBlocked',
  ArchiveCorrupt: 'ArchiveCorrupt',
  ArchiveRejected: 'ArchiveRejected',
  ArchiveEncrypted: 'ArchiveEncrypted',
  NoBackupFound: 'NoBackupFound',
  /** Volumes of a multi-volume archive were still missing when the volume wait ran out (the message names them). */
  VolumesMissing: 'VolumesMissing',
  NotABackup: 'NotABackup',
  DiskFull: 'DiskFull',
  /** A DDL step failed on the target. */
  SchemaFailed: 'SchemaFailed',
  /** A tenant failure whose cause carried no type of its own. */
  MigrationFailed: 'MigrationFailed',
  /** The operator cancelled the run (reported, never retried). */
  Cancelled: 'Cancelled',
  /** A lazy-migration stage change whose precondition does not hold (the operator acts; never retried). */
  AdvanceRefused: 'AdvanceRefused',
  /** PostgreSQL refused a statement for a reason that retrying cannot change (SQLSTATE class 42, 22, 23, ...). */
  DatabaseError: 'DatabaseError',
  /** The source uses a feature tmig cannot migrate exactly (refused before the copy). */
  UnsupportedFeature: 'UnsupportedFeature',
  /** A table without an order-safe key could not be copied in one piece within its time budget. */
  CopyTimeBudget: 'CopyTimeBudget',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

export class PermanentError extends Error {
  constructor(readonly type: FailureTypeName, message: string, readonly details?: unknown) {
    super(message);
    this.name = type;
  }
  toFailure(): ApplicationFailure {
    return ApplicationFailure.create({ type: this.type, message: this.message, nonRetryable: true,
      details: this.details === undefined ? undefined : [this.details] });
  }
}

export class BadInputError extends PermanentError {
  constructor(message: string, details?: unknown) {
    super(FailureType.BadInput, message, details);
  }
}

/** Converts PermanentError into a non-retryable Temporal failure; leaves transient errors as they are. */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof PermanentError) return err.toFailure();
  return err;
}
