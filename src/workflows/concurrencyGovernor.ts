/**
 * concurrencyGovernor: one long-lived workflow per pool (a source server, a target server, a restore
 * host) that bounds how many tenants run heavy work against that pool at once, across all waves.
 *
 * Workflow id `governor-<pool>`, task queue `migrations`. Permits are granted in arrival order by
 * signalling `permitGranted` to the holder workflow. Permits of holders whose workflow closed are
 * reclaimed by a periodic check (activity) and whenever a grant signal cannot be delivered. State
 * (limit, holders, queue) is carried across continue-as-new.
 *
 * Lifetime: with no holder and no waiter a governor completes after a short idle grace (one timer,
 * then nothing runs). The next acquirer restarts it with signal-with-start; an acquire that lands
 * while it completes makes the server reject the completion, so no request is lost. A governor whose
 * limit an operator set (`setLimit`, `tmig throttle set`) is pinned: it stays, idle and timer-free,
 * until `retire` (`tmig throttle delete`) lets it end.
 */
import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log,
  patched, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type * as governorActivities from '../activities/governorPermits';
import {
  acquireSignal, acquireUpdate, permitGrantedSignal, releaseSignal, retireSignal, setLimitSignal, stateQuery, type GovernorInput, type GovernorState,
  type PermitRequest,
} from '../contract/governorProtocol';
import { FailureType } from '../contract/failures';

const { findClosedPermitHolders } = proxyActivities<typeof governorActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

const DEFAULT_RECLAIM_INTERVAL_SECONDS = 30;
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 2000;
export const DEFAULT_IDLE_GRACE_SECONDS = 10;
/** Patch: governors end when idle (histories recorded before it waited forever, without a timer). */
export const IDLE_EXIT_PATCH = 'governor-idle-exit';

export async function concurrencyGovernor(input: GovernorInput): Promise<void> {
  if (typeof input?.pool !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(input.pool)) {
    throw ApplicationFailure.create({ type: FailureType.BadInput, nonRetryable: true,
      message: `concurrencyGovernor input: "pool" must be a pool name (letters, digits, _ . -), got ${JSON.stringify(input?.pool)}` });
  }
  const state: GovernorState = {
    pool: input.pool,
    limit: validLimit(input.limit) ? input.limit : 1,
    holders: [...(input.holders ?? [])],
    queue: [...(input.queue ?? [])],
    grantedTotal: input.grantedTotal ?? 0,
    reclaimedTotal: input.reclaimedTotal ?? 0,
    ...(input.pinned ? { pinned: true } : {}),
  };
  const idleGraceMs = Math.max(0, input.idleGraceSeconds ?? DEFAULT_IDLE_GRACE_SECONDS) * 1000;
  const reclaimMs = Math.max(1, input.reclaimIntervalSeconds ?? DEFAULT_RECLAIM_INTERVAL_SECONDS) * 1000;
  const canAfterEvents = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  let changed = true;

  const known = (requestId: string) =>
    state.holders.some((h) => h.requestId === requestId) || state.queue.some((q) => q.requestId === requestId);

  /** Queues a request, once: a retried acquire (same requestId) must not take a second place. */
  const enqueue = (req: PermitRequest) => {
    if (known(req.requestId)) return;
    state.queue.push({
      requestId: req.requestId, workflowId: req.workflowId, tenantId: req.tenantId ?? '',
      ...(req.runId ? { runId: req.runId } : {}), since: nowIso(),
    });
    changed = true;
  };

  setHandler(acquireSignal, (req) => {
    if (typeof req?.requestId !== 'string' || typeof req.workflowId !== 'string') return;
    enqueue(req);
  });
  // The same acquire as an update: granted in the answer when a permit is free and no one is ahead.
  setHandler(acquireUpdate, (req) => {
    if (state.holders.some((h) => h.requestId === req.requestId)) return { granted: true }; // a retried call
    enqueue(req);
    if (state.holders.length < state.limit && state.queue[0]?.requestId === req.requestId) {
      const [entry] = state.queue.splice(0, 1);
      state.holders.push({ ...entry, since: nowIso() });
      state.grantedTotal++;
      changed = true;
      return { granted: true };
    }
    return { granted: false };
  }, {
    // Rejected before it is recorded: a malformed request never enters the history.
    validator: (req) => {
      if (typeof req?.requestId !== 'string' || typeof req.workflowId !== 'string') throw new Error('acquire: requestId and workflowId must be strings');
    },
  });
  // Handlers never throw on malformed input (a throwing handler would wedge the governor's workflow task).
  setHandler(releaseSignal, (arg) => {
    const requestId = arg?.requestId;
    if (typeof requestId !== 'string') return;
    const before = state.holders.length + state.queue.length;
    state.holders = state.holders.filter((h) => h.requestId !== requestId);
    state.queue = state.queue.filter((q) => q.requestId !== requestId);
    if (state.holders.length + state.queue.length !== before) changed = true;
  });
  setHandler(setLimitSignal, (arg) => {
    const limit = arg?.limit;
    if (!validLimit(limit)) {
      log.warn('governor: ignoring invalid limit', { pool: state.pool, limit });
      return;
    }
    state.limit = limit;
    state.pinned = true;
    changed = true;
  });
  // Retired: no pin, and no grace either (the operator asked for it to end).
  let retired = false;
  setHandler(retireSignal, () => {
    delete state.pinned;
    retired = true;
    changed = true;
  });
  setHandler(stateQuery, () => ({
    ...state, holders: state.holders.map((h) => ({ ...h })), queue: state.queue.map((q) => ({ ...q })),
  }));

  const dropHolders = (requestIds: string[], why: string) => {
    if (requestIds.length === 0) return;
    const gone = new Set(requestIds);
    for (const h of state.holders) {
      if (gone.has(h.requestId)) {
        log.info('governor: reclaimed permit', { pool: state.pool, tenantId: h.tenantId, workflowId: h.workflowId, why });
      }
    }
    const before = state.holders.length;
    state.holders = state.holders.filter((h) => !gone.has(h.requestId));
    state.reclaimedTotal += before - state.holders.length;
  };

  /** Grants free permits in arrival order; a holder that cannot be signalled is treated as closed. */
  const grantFree = async () => {
    while (state.holders.length < state.limit && state.queue.length > 0) {
      const batch = state.queue.splice(0, state.limit - state.holders.length);
      const since = nowIso();
      for (const req of batch) state.holders.push({ ...req, since });
      state.grantedTotal += batch.length;
      const results = await Promise.allSettled(batch.map((req) =>
        getExternalWorkflowHandle(req.workflowId, req.runId)
          .signal(permitGrantedSignal, { pool: state.pool, requestId: req.requestId })));
      dropHolders(batch.filter((_, i) => results[i].status === 'rejected').map((r) => r.requestId),
        'permitGranted signal failed (workflow closed)');
    }
  };

  // The liveness check runs beside the grant loop: a slow or unregistered activity never stalls grants.
  let reclaimInFlight = false;
  const startReclaim = () => {
    if (reclaimInFlight || state.holders.length === 0) return;
    reclaimInFlight = true;
    const checked = state.holders.map((h) => ({ requestId: h.requestId, workflowId: h.workflowId, runId: h.runId }));
    findClosedPermitHolders(checked).then(
      (closed) => {
        const before = state.holders.length;
        dropHolders(closed, 'holder workflow closed');
        if (state.holders.length !== before) changed = true;
      },
      (err) => log.warn('governor: liveness check failed; will retry', { pool: state.pool, error: String(err) }),
    ).finally(() => { reclaimInFlight = false; });
  };

  let nextReclaimAt = nowMs() + reclaimMs;
  for (;;) {
    // Reset before granting: a signal handled while grant signals are in flight sets it again.
    changed = false;
    await grantFree();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= canAfterEvents) {
      // Let any running handler finish so no acquire/release between here and the new run is lost.
      await condition(allHandlersFinished);
      await continueAsNew<typeof concurrencyGovernor>({
        pool: state.pool, limit: state.limit, holders: state.holders, queue: state.queue,
        reclaimIntervalSeconds: input.reclaimIntervalSeconds, continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        reclaimedTotal: state.reclaimedTotal, grantedTotal: state.grantedTotal,
        ...(input.idleGraceSeconds !== undefined ? { idleGraceSeconds: input.idleGraceSeconds } : {}),
        ...(state.pinned ? { pinned: true } : {}),
      });
    }
    if (state.holders.length === 0 && state.queue.length === 0 && !state.pinned && patched(IDLE_EXIT_PATCH)) {
      // Idle: one grace timer, then complete. A request that arrives meanwhile wakes it; one that
      // arrives while it completes makes the server reject the completion (the signal is replayed
      // into a new workflow task), and one after it completed starts a new run (signal-with-start).
      if (!changed && !retired) await condition(() => changed, idleGraceMs);
      if (!changed && state.holders.length === 0 && state.queue.length === 0 && !state.pinned && allHandlersFinished()) {
        log.info('governor: idle, ending', { pool: state.pool, grantedTotal: state.grantedTotal });
        return;
      }
      continue;
    }
    if (state.holders.length === 0) {
      // Idle and pinned (or waiters at limit 0): nothing to reclaim, so no timer (adds no history).
      if (!changed) await condition(() => changed);
      nextReclaimAt = nowMs() + reclaimMs;
      continue;
    }
    const waitMs = nextReclaimAt - nowMs();
    if (waitMs > 0 && !changed) await condition(() => changed, waitMs);
    if (nowMs() >= nextReclaimAt) {
      startReclaim();
      nextReclaimAt = nowMs() + reclaimMs;
    }
  }
}

function validLimit(limit: unknown): limit is number {
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 0;
}

/** Workflow time (deterministic inside the Temporal sandbox: the time of the current workflow task). */
function nowMs(): number {
  return new Date().getTime();
}

function nowIso(): string {
  return new Date(nowMs()).toISOString();
}
