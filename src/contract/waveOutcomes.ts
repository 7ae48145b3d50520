/**
 * The wave's tally of tenant outcomes, bounded whatever the wave's size: exact counts, every failed
 * tenant id, and capped samples of outcomes with truncated error texts. This is what continue-as-new
 * carries and what the wave returns, so 10,000 tenants stay far below Temporal's payload limits;
 * full per-tenant outcomes stay in the tenant workflows and their reports. Pure (workflow code).
 */
import type { WaveCounts, WaveTenantOutcome } from './migration';

export const SUCCEEDED_SAMPLE = 50;
export const FAILED_SAMPLE = 200;
export const ERROR_TEXT_LIMIT = 300;

export interface WaveTally {
  counts: WaveCounts;
  succeeded: WaveTenantOutcome[];
  failed: WaveTenantOutcome[];
  failedTenantIds: string[];
  /** Tenants not started because they were running in another wave (a capped sample). */
  skippedTenantIds: string[];
}

export function emptyTally(total: number): WaveTally {
  return {
    counts: { total, succeeded: 0, alreadyComplete: 0, failed: 0, cancelled: 0, skipped: 0, rowsCopied: 0 },
    succeeded: [], failed: [], failedTenantIds: [], skippedTenantIds: [],
  };
}

function truncate(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= ERROR_TEXT_LIMIT) return text;
  return `${text.slice(0, ERROR_TEXT_LIMIT - 1)}…`;
}

export function recordOutcome(t: WaveTally, o: WaveTenantOutcome, cancelled = false): void {
  if (o.ok) {
    if (o.alreadyComplete) t.counts.alreadyComplete++;
    else t.counts.succeeded++;
    t.counts.rowsCopied += o.rowsCopied ?? 0;
    if (t.succeeded.length < SUCCEEDED_SAMPLE) t.succeeded.push(o);
    return;
  }
  t.counts.failed++;
  if (cancelled) t.counts.cancelled++;
  t.failedTenantIds.push(o.tenantId);
  if (t.failed.length < FAILED_SAMPLE) t.failed.push({ ...o, error: truncate(o.error) });
}

/** A tally from the carry of a run recorded before tallies existed (full outcome lists). */
export function tallyFromLists(total: number, succeeded: WaveTenantOutcome[], failed: WaveTenantOutcome[]): WaveTally {
  const t = emptyTally(total);
  for (const o of succeeded) recordOutcome(t, o);
  for (const o of failed) recordOutcome(t, o, /cancel/i.test(o.error ?? ''));
  return t;
}

export function isTruncated(t: WaveTally): boolean {
  return t.succeeded.length < t.counts.succeeded + t.counts.alreadyComplete || t.failed.length < t.counts.failed;
}

/** A tenant not started because it runs elsewhere: neither succeeded nor failed. */
export function recordSkipped(t: WaveTally, tenantId: string): void {
  t.counts.skipped++;
  if (t.skippedTenantIds.length < FAILED_SAMPLE) t.skippedTenantIds.push(tenantId);
}
