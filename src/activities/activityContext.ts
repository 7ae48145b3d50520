import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig } from '../config/loadConfig';
import type { MigratorConfig } from '../config/configSchema';
import { FailureType, PermanentError } from '../contract/failures';
import { classifySqlState, redactDataMessage, sqlStateOf, statementOf } from '../contract/sqlState';

export function config(): MigratorConfig {
  return loadConfig();
}

export function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Runs an activity body and classifies its failure: permanent errors become non-retryable;
 * an unreachable server is retried a few times, then fails the tenant as ServerUnreachable.
 */
export async function classified<T>(what: string, body: () => Promise<T>, opts: { minUnreachableAttempts?: number } = {}): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof PermanentError) throw err.toFailure();
    const code = sqlStateOf(err);
    if (classifySqlState(code) === 'permanent') {
      // Can never succeed: fail at once, naming what (tenant, table, range) and the statement.
      const statement = statementOf(err);
      throw ApplicationFailure.create({ type: FailureType.DatabaseError, nonRetryable: true,
        message: `${what}: ${redactDataMessage(code!, (err as Error).message)} (SQLSTATE ${code}${statement ? `; statement: ${statement}` : ''})` });
    }
    if (isUnreachable(err)) {
      const limit = Math.max(safeUnreachableAttempts(), opts.minUnreachableAttempts ?? 0);
      if (attempt() >= limit) {
        throw ApplicationFailure.create({ type: FailureType.ServerUnreachable, nonRetryable: true,
          message: `${what}: server unreachable after ${limit} attempts: ${(err as Error).message}` });
      }
    }
    if (err instanceof Error && !err.message.startsWith(what)) err.message = `${what}: ${err.message}`;
    throw err;
  }
}

function safeUnreachableAttempts(): number {
  try {
    return config().unreachableAttempts;
  } catch {
    return 4;
  }
}

export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Outside an activity (unit use): nothing to report to.
  }
}

/** Throws when Temporal asked this activity to stop (cancellation arrives through heartbeats). */
export function throwIfCancelled(): void {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled');
}

/**
 * Heartbeats on a timer while `body` runs: one chunk (or a whole table without a key) can take
 * longer than the heartbeat timeout, and a silent activity would be retried forever.
 */
export async function withHeartbeats<T>(details: () => unknown, body: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const timer = setInterval(() => heartbeat(details()), everyMs);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/** Driver errors that mean the server could not be reached (retried a few times, then ServerUnreachable). */
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETUNREACH', 'EAI_AGAIN', 'ESOCKET']);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; errors?: unknown[]; originalError?: unknown };
  if (e?.code && unreachableCodes.has(e.code)) return true;
  if (Array.isArray(e?.errors)) return e.errors.some(isUnreachable);
  if (e?.originalError) return isUnreachable(e.originalError);
  return false;
}
