/**
 * Test-only workflows: stand-ins for the lead's tenantMigration / migrationWave that use the real
 * governor and withPermits, with a fake heavy activity that records when it ran.
 */
import {
  ActivityCancellationType, ActivityFailure, condition, defineQuery, defineSignal, executeChild, proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type * as testActivities from './activities';
import { permitWaitMs, withPermits } from '../../src/workflows/permits';
import type {
  MigrationWaveInput, MigrationWaveResult, TenantProgress, WaveProgress, WaveTenantOutcome,
} from '../../src/contract/migration';

export { concurrencyGovernor } from '../../src/workflows/concurrencyGovernor';

const { heavyWork } = proxyActivities<typeof testActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
  // Under a permit, a cancelled activity must have stopped before the permit is released.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export interface StandInTenantInput {
  tenantId: string;
  pools: string[];
  defaultLimit?: number;
  workMs: number;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<WaveProgress>('progress');
export const tenantProgressQuery = defineQuery<TenantProgress>('progress');

/**
 * A tenant whose only step is one heavy activity run under permits. Answers `progress` with the
 * time waited for permits (as tenantMigration should). Returns ms waited for permits.
 */
export async function standInTenant(input: StandInTenantInput): Promise<number> {
  let phase: TenantProgress['phase'] = 'pending';
  setHandler(tenantProgressQuery, () => ({
    tenantId: input.tenantId, phase, paused: false, tablesTotal: 1, tablesDone: phase === 'done' ? 1 : 0,
    rowsCopied: 0, rowsTotal: 0, bytesCopied: 0, rowsPerSecond: 0, etaSeconds: null, permitsWaitedMs: permitWaitMs(), errors: [],
  }));
  await withPermits(input.pools.map((pool) => ({ pool, defaultLimit: input.defaultLimit })), input.tenantId,
    async () => {
      phase = 'copy';
      await heavyWork({ tenantId: input.tenantId, workMs: input.workMs });
    },
    { onWaiting: () => { phase = 'waiting-permit'; } });
  phase = 'done';
  return permitWaitMs();
}

/** A "wave": all its tenants as children at once (the governor, not the wave, bounds them). */
export async function standInWave(input: { waveId: string; tenants: StandInTenantInput[] }): Promise<number> {
  const running = new Set<string>();
  let succeeded = 0;
  setHandler(progressQuery, () => ({
    waveId: input.waveId, paused: false, total: input.tenants.length, pending: 0, running: [...running],
    succeeded, failed: [], rowsCopied: 0, tenants: {},
  }));
  await Promise.all(input.tenants.map(async (t) => {
    const workflowId = `tenant-${t.tenantId}`;
    running.add(workflowId);
    await executeChild(standInTenant, { workflowId, args: [t] });
    running.delete(workflowId);
    succeeded++;
  }));
  return input.tenants.length;
}

/**
 * Stand-in `migrationWave` with the lead's contract (pause/resume signals, progress query,
 * MigrationWaveResult, WaveId search attribute): tenants run one at a time as a fake activity; ids
 * starting with `fail` fail.
 */
export async function migrationWave(input: MigrationWaveInput): Promise<MigrationWaveResult> {
  let paused = false;
  const succeeded: WaveTenantOutcome[] = [];
  const failed: WaveTenantOutcome[] = [];
  const tenants: Record<string, TenantProgress> = {};
  for (const t of input.tenants) {
    tenants[t.tenantId] = {
      tenantId: t.tenantId, waveId: input.waveId, phase: 'pending', paused: false, tablesTotal: 1, tablesDone: 0,
      rowsCopied: 0, rowsTotal: 100, bytesCopied: 0, rowsPerSecond: 0, etaSeconds: null, permitsWaitedMs: 0, errors: [],
    };
  }
  let running: string[] = [];
  upsertSearchAttributes([{ key: defineSearchAttributeKey('WaveId', SearchAttributeType.KEYWORD), value: input.waveId }]);
  setHandler(pauseSignal, () => { paused = true; });
  setHandler(resumeSignal, () => { paused = false; });
  setHandler(progressQuery, () => ({
    waveId: input.waveId, paused, total: input.tenants.length,
    pending: input.tenants.length - succeeded.length - failed.length - running.length,
    running, succeeded: succeeded.length, failed, rowsCopied: succeeded.length * 100, tenants,
  }));
  // Test knob: chunkRows doubles as each fake tenant's work time in ms.
  const workMs = input.options?.chunkRows ?? 300;
  for (const t of input.tenants) {
    await condition(() => !paused);
    running = [t.tenantId];
    tenants[t.tenantId].phase = 'copy';
    try {
      await heavyWork({ tenantId: t.tenantId, workMs, fail: t.tenantId.startsWith('fail') });
      tenants[t.tenantId] = { ...tenants[t.tenantId], phase: 'done', tablesDone: 1, rowsCopied: 100 };
      succeeded.push({ tenantId: t.tenantId, ok: true, rowsCopied: 100 });
    } catch (err) {
      const message = err instanceof ActivityFailure ? String(err.cause?.message) : String(err);
      tenants[t.tenantId] = { ...tenants[t.tenantId], phase: 'failed', lastError: message, errors: [message] };
      failed.push({ tenantId: t.tenantId, ok: false, error: message });
    }
    running = [];
  }
  return { waveId: input.waveId, succeeded, failed };
}
