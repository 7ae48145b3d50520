import type { ChildWorkflowHandle} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure, CancellationScope, CancelledFailure, condition, isCancellation, continueAsNew, getExternalWorkflowHandle, log, ParentClosePolicy, patched, proxyActivities, setHandler,
  setCurrentDetails, startChild, upsertMemo, upsertSearchAttributes, workflowInfo, WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { MigrationWaveInput, MigrationWaveResult, TenantMigrationResult, TenantProgress, TenantSpec, WaveProgress, WaveTenantOutcome } from '../contract/migration';
import { tenantMigration } from './tenantMigration';
import { pauseSignal, resumeSignal, tenantProgressSignal, waveProgressQuery } from '../contract/signals';
import { MigrationPhaseKey, TenantIdKey, TmigRoleKey, WaveIdKey } from '../contract/searchAttributes';
import { mergeOptions, resolveOptions } from './options';
import type { waveSchema as WaveSchema } from '../contract/manifestSchema';
import { resolveSplitPlan } from '../contract/splitPlanRef';
import { formatZodError } from '../contract/formatZodError';
import { workflowNow } from './clock';
import { innermostMessage } from '../contract/innermostMessage';
import { failureCause } from '../contract/failureCause';
import { scheduledWaveId, tenantRunWorkflowId, waveRunKey } from '../contract/runIdentity';
import { isTruncated, recordOutcome, recordSkipped, tallyFromLists, type WaveTally } from '../contract/waveOutcomes';
import type * as activities from '../activities';
import { TASK_QUEUE, tenantWorkflowId } from '../contract/names';
import { tenantDetails, tenantMemo, tenantSummary, waveCurrentDetails } from './uiMetadata';
import { FailureType } from '../contract/failures';
import type { SplitWaveAccounting, SplitWaveAccountingRequest } from '../contract/splitAccounting';
import { startWaveCutovers, type WaveCutoverCarry } from './waveCutover';

const reportActivities = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '10m', heartbeatTimeout: '2m', retry: { maximumAttempts: 5 },
});
// One grouped read per table of the shared source: long on a big one, heartbeating meanwhile.
const accountingActivities = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '6h', heartbeatTimeout: '2m', retry: { maximumAttempts: 5 },
});

/**
 * State carried across continue-as-new: counts and capped samples (`tally`), never every outcome.
 * `succeeded`/`failed` are the full lists runs recorded before the tally existed carried; a carry
 * with them is converted.
 */
export interface WaveCarry {
  nextIndex: number;
  succeeded?: WaveTenantOutcome[];
  failed?: WaveTenantOutcome[];
  rowsCopied: number;
  paused: boolean;
  tally?: WaveTally;
  /** Online waves: the wave cutover (request, tenants cut over, outcomes). */
  cutover?: WaveCutoverCarry;
}

/** Patch: a split wave accounts for every source row at its end (activity accountSplitWave). */
export const SPLIT_ACCOUNTING_PATCH = 'split-wave-accounting';
/** Patch: per-wave tenant run ids, dated scheduled wave ids, role attributes, run-keyed reports. */
export const RUN_IDENTITY_PATCH = 'wave-run-identity';
/** Running tenants shown in the wave's progress query at most. */
export const MAX_PROGRESS_TENANTS = 100;

/** Children started per run before the wave drains and continues as new (keeps history bounded). */
const STARTS_PER_RUN = 200;

/**
 * The manifest schema, built when a wave first validates its input. The SDK evaluates every
 * module of the workflow bundle for each new workflow (each tenant and each governor too), and
 * building zod's schemas was ~90% of that (~13 ms of the workflow thread per workflow).
 */
function waveSchema(): typeof WaveSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose (see above)
  return (require('../contract/manifestSchema') as { waveSchema: typeof WaveSchema }).waveSchema;
}

/**
 * A wave: one tenantMigration child per tenant, at most `maxConcurrentTenants` at once (a
 * sliding window), one tenant's failure never stops the others. After STARTS_PER_RUN
 * children it drains its window and continues as new, so 10,000 tenants fit in history.
 */
export async function migrationWave(input: MigrationWaveInput, carry?: WaveCarry): Promise<MigrationWaveResult> {
  const parsed = waveSchema().safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FailureType.BadInput, nonRetryable: true, message: `wave manifest invalid: ${formatZodError(parsed.error)}` });
  }
  const v2 = patched(RUN_IDENTITY_PATCH);
  const info = workflowInfo();
  // A scheduled run gets a dated wave id (each night its own id and reports).
  const waveId = v2 ? scheduledWaveId(input.waveId, info.workflowId) : input.waveId;
  const runKey = v2 ? waveRunKey(waveId, info.startTime) : undefined;
  const state: WaveCarry = carry ?? { nextIndex: 0, rowsCopied: 0, paused: false };
  const tally: WaveTally = state.tally ?? tallyFromLists(input.tenants.length, state.succeeded ?? [], state.failed ?? []);
  state.tally = tally;
  delete state.succeeded;
  delete state.failed;
  const window = resolveOptions(input.options).maxConcurrentTenants;
  const running = new Map<string, ChildWorkflowHandle<typeof tenantMigration>>();
  /** Last progress each running tenant reported (phase changes), by workflow id. */
  const live = new Map<string, TenantProgress>();

  try {
    upsertSearchAttributes(v2 ? [{ key: WaveIdKey, value: waveId }, { key: TmigRoleKey, value: 'wave' }] : [{ key: WaveIdKey, value: input.waveId }]);
  } catch (err) {
    log.warn('WaveId search attribute not registered', { error: String(err) });
  }

  const sendToRunning = async (signal: typeof pauseSignal | typeof resumeSignal) => {
    for (const id of running.keys()) {
      await getExternalWorkflowHandle(id).signal(signal).catch((err) => log.warn('could not forward signal', { id, error: String(err) }));
    }
  };
  // Forwarded one after another: two external signals sent in the same workflow task may reach
  // a tenant in either order, and a pause delivered after its resume left the tenant paused.
  let forwarding: Promise<void> = Promise.resolve();
  const forward = (signal: typeof pauseSignal | typeof resumeSignal): Promise<void> => {
    if (!patched('wave-forwards-signals-in-order')) return sendToRunning(signal);
    const next = forwarding.then(() => sendToRunning(signal));
    forwarding = next.catch(() => undefined);
    return next;
  };
  setHandler(pauseSignal, async () => {
    state.paused = true;
    await forward(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    state.paused = false;
    await forward(resumeSignal);
  });
  setHandler(tenantProgressSignal, (p) => {
    // Never throw in a handler; reports of tenants that are no longer running are dropped.
    const id = runningIdOf(p?.tenantId);
    if (id) live.set(id, p);
  });
  // Online tenants: batch cutover by wave signal or at options.online.cutoverAt (no command unless asked for).
  const cutovers = startWaveCutovers({
    input, carry: state.cutover, live,
    runningTenants: () => [...running.keys()].map((id) => [id, id.slice('tenant-'.length).split('@')[0]]),
    notStarted: () => input.tenants.slice(state.nextIndex),
    changed: () => showDetails(),
  });
  state.cutover = cutovers.carry;
  const runningIdOf = (tenantId: unknown) => [...running.keys()].find((id) => id === (v2 && typeof tenantId === 'string' ? tenantRunWorkflowId(tenantId, waveId) : `tenant-${String(tenantId)}`));
  const waveProgress = (): WaveProgress => ({
    waveId, paused: state.paused, total: input.tenants.length,
    pending: input.tenants.length - state.nextIndex, running: [...running.keys()],
    succeeded: tally.counts.succeeded + tally.counts.alreadyComplete, failed: tally.failed, rowsCopied: tally.counts.rowsCopied,
    tenants: Object.fromEntries([...live.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId)).slice(0, MAX_PROGRESS_TENANTS)
      .map((p) => [p.tenantId, p])),
    counts: { ...tally.counts }, startedAt: info.startTime.toISOString(),
    ...((cut) => (cut ? { cutover: cut } : {}))(cutovers.progress()),
  });
  setHandler(waveProgressQuery, waveProgress);
  // Temporal UI: live text on the wave's page (no history event).
  const showDetails = (reportPath?: string) => setCurrentDetails(waveCurrentDetails(waveProgress(), reportPath));
  showDetails();

  const runChild = async (index: number) => {
    const spec = input.tenants[index];
    const id = v2 ? tenantRunWorkflowId(spec.tenantId, waveId) : tenantWorkflowId(spec.tenantId);
    const started = workflowNow().getTime();
    try {
      const identity = { ...spec, waveId };
      const handle = await startChild(tenantMigration, {
        workflowId: id,
        // Temporal UI: the row reads `hotel01: sqlserver/hotel01 → postgres/hotel01`; names only, no secrets.
        staticSummary: tenantSummary(identity),
        staticDetails: tenantDetails(identity),
        memo: tenantMemo(identity),
        args: [{ ...spec, ...withSplitPlan(spec, input.splitPlans), waveId, options: mergeOptions(input.options, spec.options), ...(runKey ? { runKey } : {}) }],
        taskQueue: TASK_QUEUE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [
          { key: TenantIdKey, value: spec.tenantId },
          { key: WaveIdKey, value: waveId },
          { key: MigrationPhaseKey, value: 'pending' },
          ...(v2 ? [{ key: TmigRoleKey, value: 'tenant' }] : []),
        ],
      });
      running.set(id, handle);
      showDetails();
      if (state.paused) await handle.signal(pauseSignal);
      const r: TenantMigrationResult = await handle.result();
      cutovers.tenantEnded(id, { cutovers: r.online?.cutovers });
      state.rowsCopied += r.rowsCopied;
      recordOutcome(tally, { tenantId: spec.tenantId, ok: true, rowsCopied: r.rowsCopied, ms: workflowNow().getTime() - started,
        ...(r.alreadyComplete ? { alreadyComplete: true } : {}), ...(v2 ? { workflowId: id } : {}) });
    } catch (err) {
      if (v2 && err instanceof WorkflowExecutionAlreadyStartedError) {
        // The same run id is running (a rerun while it runs): not a failure of this tenant.
        log.info('tenant skipped: running elsewhere', { tenantId: spec.tenantId, workflowId: id });
        recordSkipped(tally, spec.tenantId);
        return;
      }
      const cause = failureCause(err);
      cutovers.tenantEnded(id, { error: cause.message });
      recordOutcome(tally, {
        tenantId: spec.tenantId, ok: false, error: v2 ? cause.message : innermostMessage(err), ms: workflowNow().getTime() - started,
        ...(v2 ? { errorType: cause.type, workflowId: id } : {}),
      }, cause.cancelled);
    } finally {
      running.delete(id);
      live.delete(id);
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
  // A wave cutover records its last outcomes first (only waits when one is in flight).
  if (cutovers.busy()) await condition(() => !cutovers.busy()).catch(() => undefined);
  const cancelled = CancellationScope.current().consideredCancelled;
  if (cancelled) {
    for (; state.nextIndex < input.tenants.length; state.nextIndex++) {
      recordOutcome(tally, { tenantId: input.tenants[state.nextIndex].tenantId, ok: false, error: 'not started: wave cancelled by operator' }, true);
    }
  }

  if (!cancelled && state.nextIndex < input.tenants.length) {
    await condition(() => !state.paused);
    return continueAsNew<typeof migrationWave>(input, state);
  }
  log.info('wave finished', { waveId, ...tally.counts, run: workflowInfo().runId });
  const result: MigrationWaveResult = {
    waveId, succeeded: tally.succeeded, failed: tally.failed,
    counts: { ...tally.counts }, failedTenantIds: tally.failedTenantIds, truncated: isTruncated(tally), ...(runKey ? { runKey } : {}),
    ...cutovers.resultFields(),
  };
  if (!cancelled && input.tenants.some((t) => t.source.split) && patched(SPLIT_ACCOUNTING_PATCH)) {
    showDetails();
    result.splitAccounting = await accountSplit(input, waveId, runKey, tally);
  }
  await CancellationScope.nonCancellable(async () => {
    try {
      result.reportPath = (await reportActivities.reportWave.executeWithOptions({ summary: 'write wave report' }, [result, input.tenants.map((t) => t.tenantId)])).htmlPath;
    } catch (err) {
      log.warn('could not write the wave report', { error: innermostMessage(err) });
    }
  });
  showDetails(result.reportPath);
  // Behind a patch so histories recorded before the memo still replay.
  if (patched('ui-wave-memo')) {
    upsertMemo({ waveId, tenants: input.tenants.length, succeeded: tally.counts.succeeded, alreadyComplete: tally.counts.alreadyComplete, failed: tally.counts.failed,
      rowsCopied: tally.counts.rowsCopied, ...(result.reportPath ? { report: result.reportPath } : {}) });
  }
  // A cancelled wave ends CANCELLED in Temporal (its tenants are reported as cancelled).
  if (cancelled) throw new CancelledFailure(`wave ${waveId} cancelled by operator: ${tally.counts.failed} tenants did not finish`);
  return result;
}

/**
 * The split accounting, one activity per shared source and plan: every source row is in exactly one
 * succeeded tenant's target, in a shared table, or counted as no tenant / unknown / two tenants.
 * An accounting that cannot run is recorded as incomplete (the wave's tenants are done either way).
 */
async function accountSplit(input: MigrationWaveInput, waveId: string, runKey: string | undefined, tally: WaveTally): Promise<SplitWaveAccounting[]> {
  const notOk = new Set([...tally.failedTenantIds, ...tally.skippedTenantIds]);
  const groups = new Map<string, SplitWaveAccountingRequest>();
  for (const t of input.tenants) {
    const split = t.source.split;
    if (!split) continue;
    const named = typeof split.plan === 'string' ? split.plan : undefined;
    const plan = named ?? (split.plan ? 'inline' : `discovered:${split.tenantKey.column}`);
    const key = JSON.stringify([t.source.server, t.source.database, plan, typeof split.plan === 'object' ? split.plan : null]);
    let g = groups.get(key);
    if (!g) {
      const planSpec = named ? { plan: input.splitPlans?.[named] } : split.plan ? { plan: split.plan } : { column: split.tenantKey.column! };
      const all = named ? input.splitTenants?.[named] : undefined;
      g = { waveId, ...(runKey ? { runKey } : {}), source: { server: t.source.server, database: t.source.database }, plan, planSpec, tenants: [], ...(all ? { allTenants: all } : {}) };
      groups.set(key, g);
    }
    g.tenants.push({ tenantId: t.tenantId, value: split.tenantKey.value, target: { server: t.target.server, database: t.target.database }, ok: !notOk.has(t.tenantId) });
  }
  const out: SplitWaveAccounting[] = [];
  for (const req of groups.values()) {
    try {
      out.push(await accountingActivities.accountSplitWave.executeWithOptions({ summary: `split accounting ${req.source.server}/${req.source.database}` }, [req]));
    } catch (err) {
      if (isCancellation(err)) throw err;
      const message = `split accounting of ${req.source.server}/${req.source.database} could not run: ${innermostMessage(err)}`;
      log.warn(message);
      out.push({ source: req.source, plan: req.plan, tenants: req.tenants.length, knowsAllPhases: !!req.allTenants, tables: [], failures: [message], warnings: [], complete: false });
    }
  }
  return out;
}

/** A tenant naming a wave split plan gets the plan itself, so its input is self-contained. */
function withSplitPlan(spec: TenantSpec, plans: MigrationWaveInput['splitPlans']): Partial<TenantSpec> {
  const split = spec.source.split;
  return split ? { source: { ...spec.source, split: resolveSplitPlan(spec.tenantId, split, plans) } } : {};
}
