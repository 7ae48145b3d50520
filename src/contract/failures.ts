import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure taxonomy. Permanent failures become non-retryable ApplicationFailures with one of
 * these types; anything else is treated as transient and retried with backoff.
 */
export const FailureType = {
  BadInput: 'BadInput',
  SourceMissing: 'SourceMissing',
  ServerUnreachable: 'ServerUnreachable',
  TargetConflict: 'TargetConflict',
  UnsupportedType: 'UnsupportedType',
  ValidationMismatch: 'ValidationMismatch',
  ArchiveCorrupt: 'ArchiveCorrupt',
  ArchiveRejected: 'ArchiveRejected',
  ArchiveEncrypted: 'ArchiveEncrypted',
  NoBackupFound: 'NoBackupFound',
  NotABackup: 'NotABackup',
  DiskFull: 'DiskFull',
  SchemaFailed: 'SchemaFailed',
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

const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETUNREACH', 'EAI_AGAIN', 'ESOCKET']);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; errors?: unknown[]; originalError?: unknown };
  if (e?.code && unreachableCodes.has(e.code)) return true;
  if (Array.isArray(e?.errors)) return e.errors.some(isUnreachable);
  if (e?.originalError) return isUnreachable(e.originalError);
  return false;
}
