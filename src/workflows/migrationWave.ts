import type { ChildWorkflowHandle} from '@temporalio/workflow';
import {
  ApplicationFailure, CancellationScope, CancelledFailure, condition, isCancellation, continueAsNew, getExternalWorkflowHandle, log, ParentClosePolicy, patched, proxyActivities, setHandler,
  setCurrentDetails, startChild, upsertMemo, upsertSearchAttributes, workflowInfo, WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { MigrationWaveInput, MigrationWaveResult, TenantMigrationResult, TenantSpec, WaveProgress, WaveTenantOutcome } from '../contract/migration';
import { tenantMigration } from './tenantMigration';
import { pauseSignal, resumeSignal, waveProgressQuery } from '../contract/signals';
import { MigrationPhaseKey, TenantIdKey, WaveIdKey } from '../contract/searchAttributes';
import { mergeOptions, resolveOptions } from './options';
import { waveSchema } from '../contract/manifestSchema';
import { resolveSplitPlan } from '../contract/splitPlan';
import { formatZodError } from '../contract/formatZodError';
import { workflowNow } from './clock';
import { innermostMessage } from '../contract/innermostMessage';
import type * as activities from '../activities';
import { TASK_QUEUE, tenantWorkflowId } from '../contract/names';
import { tenantDetails, tenantMemo, tenantSummary, waveCurrentDetails } from './uiMetadata';
import { FailureType } from '../contract/failures';

const reportActivities = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '10m', heartbeatTimeout: '2m', retry: { maximumAttempts: 5 },
});

/** State carried across continue-as-new. */
export interface WaveCarry {
  nextIndex: number;
  succeeded: WaveTenantOutcome[];
  failed: WaveTenantOutcome[];
  rowsCopied: number;
  paused: boolean;
}

/** Children started per run before the wave drains and continues as new (keeps history bounded). */
const STARTS_PER_RUN = 200;

/**
 * A wave: one tenantMigration child per tenant, at most `maxConcurrentTenants` at once (a
 * sliding window), one tenant's failure never stops the others. After STARTS_PER_RUN
 * children it drains its window and continues as new, so 10,000 tenants fit in history.
 */
export async function migrationWave(input: MigrationWaveInput, carry?: WaveCarry): Promise<MigrationWaveResult> {
  const parsed = waveSchema.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FailureType.BadInput, nonRetryable: true, message: `wave manifest invalid: ${formatZodError(parsed.error)}` });
  }
  const state: WaveCarry = carry ?? { nextIndex: 0, succeeded: [], failed: [], rowsCopied: 0, paused: false };
  const window = resolveOptions(input.options).maxConcurrentTenants;
  const running = new Map<string, ChildWorkflowHandle<typeof tenantMigration>>();

  try {
    upsertSearchAttributes([{ key: WaveIdKey, value: input.waveId }]);
  } catch (err) {
    log.warn('WaveId search attribute not registered', { error: String(err) });
  }

  const forward = async (signal: typeof pauseSignal | typeof resumeSignal) => {
    for (const id of running.keys()) {
      await getExternalWorkflowHandle(id).signal(signal).catch((err) => log.warn('could not forward signal', { id, error: String(err) }));
    }
  };
  setHandler(pauseSignal, async () => {
    state.paused = true;
    await forward(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    state.paused = false;
    await forward(resumeSignal);
  });
  const waveProgress = (): WaveProgress => ({
    waveId: input.waveId, paused: state.paused, total: input.tenants.length,
    pending: input.tenants.length - state.nextIndex, running: [...running.keys()],
    succeeded: state.succeeded.length, failed: state.failed, rowsCopied: state.rowsCopied, tenants: {},
  });
  setHandler(waveProgressQuery, waveProgress);
  // Temporal UI: live text on the wave's page (no history event).
  const showDetails = (reportPath?: string) => setCurrentDetails(waveCurrentDetails(waveProgress(), reportPath));
  showDetails();

  const runChild = async (index: number) => {
    const spec = input.tenants[index];
    const id = tenantWorkflowId(spec.tenantId);
    const started = workflowNow().getTime();
    try {
      const identity = { ...spec, waveId: input.waveId };
      const handle = await startChild(tenantMigration, {
        workflowId: id,
        // Temporal UI: the row reads `hotel01: sqlserver/hotel01 → postgres/hotel01`; names only, no secrets.
        staticSummary: tenantSummary(identity),
        staticDetails: tenantDetails(identity),
        memo: tenantMemo(identity),
        args: [{ ...spec, ...withSplitPlan(spec, input.splitPlans), waveId: input.waveId, options: mergeOptions(input.options, spec.options) }],
        taskQueue: TASK_QUEUE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [
          { key: TenantIdKey, value: spec.tenantId },
          { key: WaveIdKey, value: input.waveId },
          { key: MigrationPhaseKey, value: 'pending' },
        ],
      });
      running.set(id, handle);
      showDetails();
      if (state.paused) await handle.signal(pauseSignal);
      const r: TenantMigrationResult = await handle.result();
      state.rowsCopied += r.rowsCopied;
      state.succeeded.push({ tenantId: spec.tenantId, ok: true, rowsCopied: r.rowsCopied, ms: workflowNow().getTime() - started });
    } catch (err) {
      state.failed.push({ tenantId: spec.tenantId, ok: false, error: innermostMessage(err), ms: workflowNow().getTime() - started });
    } finally {
      running.delete(id);
      showDetails();
    }
  };

  const inFlight: Promise<void>[] = [];
  let active = 0;
  let startedThisRun = 0;
  try {
    while (state.nextIndex < input.tenants.length && startedThisRun < STARTS_PER_RUN) {
      await condition(() => !state.paused && active < window);
      active++;
      inFlight.push(runChild(state.nextIndex++).finally(() => { active--; }));
      startedThisRun++;
    }
  } catch (err) {
    // Cancelled while waiting for a slot: the children already started are cancelled with us.
    if (!isCancellation(err)) throw err;
  }
  await Promise.all(inFlight);
  const cancelled = CancellationScope.current().consideredCancelled;
  if (cancelled) {
    for (; state.nextIndex < input.tenants.length; state.nextIndex++) {
      state.failed.push({ tenantId: input.tenants[state.nextIndex].tenantId, ok: false, error: 'not started: wave cancelled' });
    }
  }

  if (!cancelled && state.nextIndex < input.tenants.length) {
    await condition(() => !state.paused);
    return continueAsNew<typeof migrationWave>(input, state);
  }
  log.info('wave finished', { waveId: input.waveId, succeeded: state.succeeded.length, failed: state.failed.length, run: workflowInfo().runId });
  const result: MigrationWaveResult = { waveId: input.waveId, succeeded: state.succeeded, failed: state.failed };
  await CancellationScope.nonCancellable(async () => {
    try {
      result.reportPath = (await reportActivities.reportWave.executeWithOptions({ summary: 'write wave report' }, [result])).htmlPath;
    } catch (err) {
      log.warn('could not write the wave report', { error: innermostMessage(err) });
    }
  });
  showDetails(result.reportPath);
  // Behind a patch so histories recorded before the memo still replay.
  if (patched('ui-wave-memo')) {
    upsertMemo({ waveId: input.waveId, tenants: input.tenants.length, succeeded: state.succeeded.length, failed: state.failed.length,
      rowsCopied: state.rowsCopied, ...(result.reportPath ? { report: result.reportPath } : {}) });
  }
  // A cancelled wave ends CANCELLED in Temporal (its tenants are reported as cancelled).
  if (cancelled) throw new CancelledFailure(`wave ${input.waveId} cancelled: ${state.failed.length} tenants did not finish`);
  return result;
}

/** A tenant naming a wave split plan gets the plan itself, so its input is self-contained. */
function withSplitPlan(spec: TenantSpec, plans: MigrationWaveInput['splitPlans']): Partial<TenantSpec> {
  const split = spec.source.split;
  return split ? { source: { ...spec.source, split: resolveSplitPlan(spec.tenantId, split, plans) } } : {};
}
