/** Run identity: tenant run ids per wave, dated ids for scheduled runs, run keys. */
import { describe, expect, it } from 'vitest';
import { compactTime, scheduledWaveId, tenantRunWorkflowId, waveOfTenantWorkflow, waveRunKey } from '../../src/contract/runIdentity';

describe('run identity', () => {
  it('a tenant runs once per wave under its own id, and the wave is read back from it', () => {
    expect(tenantRunWorkflowId('hotel01', 'w1')).toBe('tenant-hotel01@w1');
    expect(waveOfTenantWorkflow('tenant-hotel01@w1-retry-1')).toBe('w1-retry-1');
    expect(waveOfTenantWorkflow('tenant-hotel01')).toBeUndefined();
  });

  it('a scheduled run (workflow id suffixed with its time by Temporal) gets a dated wave id; others keep theirs', () => {
    expect(scheduledWaveId('nightly', 'wave-nightly-2026-11-21T02:00:00Z')).toBe('nightly-20261121T020000Z');
    expect(scheduledWaveId('nightly', 'wave-nightly')).toBe('nightly');
    expect(scheduledWaveId('nightly', 'wave-nightly-extra')).toBe('nightly');
    expect(scheduledWaveId('a', 'wave-b-2026-11-21T02:00:00Z')).toBe('a');
  });

  it('run keys sort by time within a wave', () => {
    expect(compactTime(new Date('2026-11-21T02:00:00.123Z'))).toBe('20261121T020000Z');
    const a = waveRunKey('w', new Date('2026-11-21T02:00:00Z'));
    const b = waveRunKey('w', new Date('2026-11-22T02:00:00Z'));
    expect(a < b).toBe(true);
    expect(a).toBe('w.20261121T020000Z');
  });
});
