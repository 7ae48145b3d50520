/**
 * Issue 11 #16 at full size without a server: 10,000 tenant outcomes (half failed, each with a
 * 5 KB error text) through the wave's tally, which is what continue-as-new carries and the wave
 * returns. The real-server run of the same path is test/control/waveScale.test.ts (300 tenants by
 * default; TMIG_SCALE_TENANTS=10000 for the full size, about an hour on this machine).
 */
import { describe, expect, it } from 'vitest';
import { emptyTally, ERROR_TEXT_LIMIT, FAILED_SAMPLE, isTruncated, recordOutcome, SUCCEEDED_SAMPLE } from '../../src/contract/waveOutcomes';

describe('wave tally at 10,000 tenants', () => {
  it('stays far below Temporal payload limits with exact counts and every failed id', () => {
    const N = 10_000;
    const tally = emptyTally(N);
    const longError = 'relation "public.orders" violates check constraint; '.repeat(100); // ~5 KB
    for (let i = 0; i < N; i++) {
      const tenantId = `tenant-${String(i).padStart(5, '0')}`;
      if (i % 2) recordOutcome(tally, { tenantId, ok: false, error: longError, ms: 1000 });
      else recordOutcome(tally, { tenantId, ok: true, rowsCopied: 10, ms: 1000 });
    }
    expect(tally.counts).toMatchObject({ total: N, succeeded: N / 2, failed: N / 2, rowsCopied: 10 * (N / 2) });
    expect(tally.succeeded).toHaveLength(SUCCEEDED_SAMPLE);
    expect(tally.failed).toHaveLength(FAILED_SAMPLE);
    expect(tally.failedTenantIds).toHaveLength(N / 2);
    expect(Math.max(...tally.failed.map((o) => o.error!.length))).toBeLessThanOrEqual(ERROR_TEXT_LIMIT);
    expect(isTruncated(tally)).toBe(true);
    // Every outcome in full would be ~25 MB; Temporal refuses payloads over 2 MB by default.
    const bytes = Buffer.byteLength(JSON.stringify(tally));
    expect(bytes).toBeLessThan(256 * 1024);
  });
});
