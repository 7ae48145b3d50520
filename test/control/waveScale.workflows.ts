/**
 * Test worker's workflows for the 10,000-tenant wave: the real migrationWave with a stub
 * `tenantMigration` (same workflow type name) that reports one phase to the wave, waits briefly and
 * ends: ids ending in 7 fail with a long error, ids ending in 3 were already complete.
 */
import { ApplicationFailure, getExternalWorkflowHandle, sleep, workflowInfo } from '@temporalio/workflow';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';
import { tenantProgressSignal } from '../../src/contract/signals';

export { migrationWave } from '../../src/workflows/migrationWave';

export async function tenantMigration(input: TenantMigrationInput): Promise<TenantMigrationResult> {
  const parent = workflowInfo().parent;
  if (parent) {
    await getExternalWorkflowHandle(parent.workflowId).signal(tenantProgressSignal, {
      tenantId: input.tenantId, waveId: input.waveId, phase: 'copy', paused: false, tablesTotal: 3, tablesDone: 1,
      rowsCopied: 10, rowsTotal: 30, bytesCopied: 100, rowsPerSecond: 5, etaSeconds: 4, permitsWaitedMs: 0, errors: [],
    });
  }
  await sleep(input.options?.chunkRows ?? 100);
  if (input.tenantId.endsWith('7')) {
    throw ApplicationFailure.create({ type: 'SourceMissing', nonRetryable: true,
      message: `tenant ${input.tenantId}: source database "${input.source.database}" does not exist; ${'detail '.repeat(300)}` });
  }
  const alreadyComplete = input.tenantId.endsWith('3');
  return { tenantId: input.tenantId, ok: true, tables: [], phases: [], throughput: [], rowsCopied: alreadyComplete ? 0 : 10, bytesCopied: 0,
    ...(alreadyComplete ? { alreadyComplete: true } : {}) };
}
