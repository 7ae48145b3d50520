/**
 * Workflow-side permit helper: run heavy work only while holding a permit from the
 * concurrencyGovernor of every pool it touches.
 *
 * Call it from a workflow (it uses workflow APIs and module state, which Temporal keeps per
 * workflow execution). Pools are acquired one at a time in sorted order, so two tenants that
 * need the same pools can never deadlock; all permits are released in `finally`, also when the
 * workflow is cancelled (in a non-cancellable scope).
 */
import {
  ActivityCancellationType, CancellationScope, condition, getExternalWorkflowHandle, log, patched, proxyActivities, proxyLocalActivities,
  setHandler, workflowInfo,
} from '@temporalio/workflow';
import type * as governorActivities from '../activities/governorPermits';
import { governorWorkflowId, permitGrantedSignal, releaseSignal } from '../contract/governorProtocol';

export interface PoolPermit {
  /** Pool name, normally a server name from the worker config. */
  pool: string;
  /**
   * Limit used only if this call has to start the governor. Omit it to use the worker config's
   * `servers.<pool>.maxConcurrency` (resolved by the activity, on the worker).
   */
  defaultLimit?: number;
}

export interface WithPermitsHooks {
  /** Called before waiting for each pool (e.g. to set phase `waiting-permit`). */
  onWaiting?: (pool: string) => void;
  /** Called once all permits are held, just before `fn` runs. */
  onGranted?: (waitedMs: number) => void;
}

const acquireOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  // On cancellation, let an acquire in flight land first, so the release sent in `finally` follows it.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;
const { ensureGovernorAndAcquire } = proxyActivities<typeof governorActivities>(acquireOptions);
/**
 * The same signal-with-start as a local activity: it runs on this workflow's worker inside the
 * workflow task, without a trip through the activity task queue (one round trip less per permit).
 */
const { ensureGovernorAndAcquire: acquireLocally } = proxyLocalActivities<typeof governorActivities>(acquireOptions);
/** Releases by local activity (the client's signal): bounded retries, then the governor's liveness check reclaims. */
const { releasePermits } = proxyLocalActivities<typeof governorActivities>({
  startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
/** Patch: releases go by local activity (histories from before signalled each governor from the workflow). */
export const LOCAL_RELEASE_PATCH = 'permits-local-release';
/** Patch: acquires as a local activity (histories from before scheduled a normal activity). */
export const LOCAL_ACQUIRE_PATCH = 'permits-local-acquire';

// Per-workflow state (the Temporal sandbox gives each execution its own module instances).
const awaitingGrant = new Set<string>();
const held = new Set<string>();
const activeWaits = new Map<number, number>();
let handlerInstalled = false;
let requestSeq = 0;
let finishedWaitMs = 0;

/** Total ms this workflow has waited for permits, including a wait in progress. For progress queries. */
export function permitWaitMs(): number {
  let ms = finishedWaitMs;
  const now = nowMs();
  for (const start of activeWaits.values()) ms += Math.max(0, now - start);
  return ms;
}

/** Pools whose permit this workflow is waiting for right now (empty when none). */
export function permitsAwaited(): string[] {
  return [...awaitingGrant].map((id) => id.split('|')[2] ?? id);
}

export async function withPermits<T>(
  pools: PoolPermit[], tenantId: string, fn: () => Promise<T>, hooks: WithPermitsHooks = {},
): Promise<T> {
  installGrantHandler();
  const info = workflowInfo();
  const wanted = [...new Map(pools.map((p) => [p.pool, p])).values()].sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0));
  const requested: { pool: string; requestId: string }[] = [];
  const waitId = ++requestSeq;
  activeWaits.set(waitId, nowMs());
  try {
    for (const { pool, defaultLimit } of wanted) {
      const requestId = `${info.workflowId}|${info.runId}|${pool}|${++requestSeq}`;
      awaitingGrant.add(requestId);
      requested.push({ pool, requestId });
      hooks.onWaiting?.(pool);
      const acquire = patched(LOCAL_ACQUIRE_PATCH) ? acquireLocally : ensureGovernorAndAcquire;
      const answer = await acquire({
        pool, defaultLimit, request: { requestId, workflowId: info.workflowId, runId: info.runId, tenantId },
      });
      // Granted in the answer (update-with-start): no permitGranted signal follows. Histories from
      // before recorded no answer and wait for the signal, as they did.
      if (answer?.granted && awaitingGrant.delete(requestId)) held.add(requestId);
      await condition(() => held.has(requestId));
    }
    const waited = endWait(waitId);
    hooks.onGranted?.(waited);
    return await fn();
  } finally {
    endWait(waitId);
    await releaseAll(requested);
  }
}

function endWait(waitId: number): number {
  const start = activeWaits.get(waitId);
  if (start === undefined) return 0;
  activeWaits.delete(waitId);
  const waited = Math.max(0, nowMs() - start);
  finishedWaitMs += waited;
  return waited;
}

function installGrantHandler(): void {
  if (handlerInstalled) return;
  handlerInstalled = true;
  setHandler(permitGrantedSignal, (grant) => {
    // Never throw from a handler (it would wedge the tenant's workflow task): ignore malformed grants.
    const { pool, requestId } = grant ?? {};
    if (typeof pool !== 'string' || typeof requestId !== 'string') return;
    if (awaitingGrant.delete(requestId)) {
      held.add(requestId);
    } else if (!held.has(requestId)) {
      // A grant for a request we gave up (cancelled or already released): hand it straight back.
      void signalRelease(pool, requestId);
    }
  });
}

async function releaseAll(requested: { pool: string; requestId: string }[]): Promise<void> {
  if (requested.length === 0) return;
  for (const { requestId } of requested) {
    awaitingGrant.delete(requestId);
    held.delete(requestId);
  }
  // Released even when cancelled: a permit kept by a cancelled tenant would block the pool until reclaimed.
  await CancellationScope.nonCancellable(async () => {
    if (patched(LOCAL_RELEASE_PATCH)) {
      try {
        await releasePermits.executeWithOptions({ summary: `release permits: ${requested.map((r) => r.pool).join(', ')}` }, [{ permits: requested }]);
      } catch (err) {
        log.warn('permits: release failed; the governor reclaims the permit when it finds this workflow closed', { error: String(err) });
      }
      return;
    }
    await Promise.all(requested.map(({ pool, requestId }) => signalRelease(pool, requestId)));
  });
}

async function signalRelease(pool: string, requestId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(governorWorkflowId(pool)).signal(releaseSignal, { requestId });
  } catch (err) {
    // Governor gone: nothing to release (a restarted governor does not know this request).
    log.warn('permits: release signal failed', { pool, requestId, error: String(err) });
  }
}

function nowMs(): number {
  return new Date().getTime();
}
