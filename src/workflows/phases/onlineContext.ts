/**
 * What the online phases (cdc, cutover, rollback) share with the runner: the tenant, its
 * progress, the resolved online options and the operator's requests (signals), plus the one
 * activity proxy per kind of call. Deterministic: workflow code only.
 */
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import { CancellationScope, condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from '../../activities';
import type { StreamChangesRequest, StreamSliceResult } from '../../activities/cdc';
import type { TenantRef } from '../../contract/tenantRef';
import type { TenantProgress } from '../../contract/migration';
import type { MigrationPhase } from '../../contract/phases';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../../contract/names';
import type { TenantRun } from '../tenantRun';
import type { CdcProgress, CutoverRequest, OnlineOptions, OnlineResult } from '../../contract/online';
import { cutoverConfirmSignal, cutoverSignal, rollbackSignal } from '../../contract/signals';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 };

/**
 * Short steps of cutover and rollback (freeze, markers, hooks, sequences, slots). They heartbeat
 * while they run: a worker killed mid-cutover costs ~20 s of blocked writes, not minutes.
 */
export const onlineSteps = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '10m', heartbeatTimeout: '20s', retry,
});

/** Stream slices and whole-table checks: heartbeating; a cancelled slice stops (its batches committed) before the next starts. */
export const onlineHeavy = proxyActivities<typeof activities>({
  taskQueue: HEAVY_TASK_QUEUE, startToCloseTimeout: '2h', heartbeatTimeout: '30s', retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** A tenant's online options with defaults (the wave-only cutoverAt/cutoverBatch are the wave's). */
export type ResolvedOnline = Required<Omit<OnlineOptions, 'cutoverAt' | 'cutoverBatch'>>;

export function resolveOnline(o: boolean | OnlineOptions | undefined): ResolvedOnline | null {
  if (!o) return null;
  const v = o === true ? {} : o;
  return {
    lagThresholdSeconds: v.lagThresholdSeconds ?? 5,
    maxRetainedWalBytes: v.maxRetainedWalBytes ?? 5 * 1024 ** 3,
    maxBatchChanges: v.maxBatchChanges ?? 5000,
    sliceSeconds: v.sliceSeconds ?? 60,
    cutoverConcurrency: v.cutoverConcurrency ?? 1,
  };
}

export interface OnlineContext {
  ref: TenantRef;
  tenantId: string;
  progress: TenantProgress;
  online: ResolvedOnline;
  enter: (phase: MigrationPhase) => void;
  requests: { cutover: CutoverRequest | null; rollback: boolean; confirm: boolean };
  result: OnlineResult;
  /** Where applications write now: decides the compensation of a failure. */
  writesOn: 'source' | 'target';
  /** Slots that exist and must be dropped if the tenant fails or is cancelled. */
  streams: { forward: boolean; reverse: boolean };
  running?: CancellationScope;
  copyEndedAt?: number;
}

/**
 * The online state of a run (null unless `options.online`): installs the operator signals and
 * makes every result of the run (success or failure) carry the online record.
 */
export function startOnline(run: TenantRun): OnlineContext | null {
  const online = resolveOnline(run.input.options?.online);
  if (!online) return null;
  const ctx: OnlineContext = {
    ref: run.ref, tenantId: run.input.tenantId, progress: run.progress, online, enter: (p) => run.enter(p),
    requests: { cutover: null, rollback: false, confirm: false }, writesOn: 'source', streams: { forward: false, reverse: false },
    result: { changesApplied: 0, lastAppliedCommitTime: null, cutovers: [], outcome: 'streaming' },
  };
  installOnlineHandlers(ctx);
  const base = run.result;
  run.result = (ok, extra) => ({ ...base(ok, extra), online: ctx.result });
  return ctx;
}

/** Signal handlers: a request interrupts the running stream slice so it is acted on at once. */
function installOnlineHandlers(ctx: OnlineContext): void {
  setHandler(cutoverSignal, (req?: CutoverRequest) => {
    ctx.requests.cutover = req ?? {};
    if (ctx.progress.cdc) ctx.progress.cdc.cutoverRequested = true;
    ctx.running?.cancel();
  });
  setHandler(rollbackSignal, () => {
    ctx.requests.rollback = true;
    ctx.running?.cancel();
  });
  setHandler(cutoverConfirmSignal, () => {
    ctx.requests.confirm = true;
    ctx.running?.cancel();
  });
}

/** One stream slice; null when an operator request interrupted it (its applied batches stay applied). */
export async function streamSlice(ctx: OnlineContext, req: StreamChangesRequest): Promise<StreamSliceResult | null> {
  const scope = new CancellationScope();
  ctx.running = scope;
  try {
    const r = await scope.run(() => onlineHeavy.streamChanges(ctx.ref, { maxRetainedWalBytes: ctx.online.maxRetainedWalBytes, maxBatchChanges: ctx.online.maxBatchChanges, ...req }));
    noteSlice(ctx, req.direction, r);
    return r;
  } catch (err) {
    if (isCancellation(err) && !CancellationScope.current().consideredCancelled) return null;
    throw err;
  } finally {
    ctx.running = undefined;
  }
}

function noteSlice(ctx: OnlineContext, direction: 'forward' | 'reverse', r: StreamSliceResult): void {
  const prev = ctx.progress.cdc;
  const cdc: CdcProgress = {
    state: prev?.state ?? 'streaming', direction, lagBytes: r.lagBytes, lagSeconds: r.lagSeconds, appliedPerSecond: r.appliedPerSecond,
    lastAppliedCommitTime: r.lastAppliedCommitTime, retainedWalBytes: r.retainedWalBytes, changesApplied: r.changesTotal,
    catchUpMs: prev?.catchUpMs, cutoverRequested: ctx.requests.cutover !== null,
    ...(prev?.lastCutover ? { lastCutover: prev.lastCutover } : {}),
  };
  ctx.progress.cdc = cdc;
  if (direction === 'forward') {
    ctx.result.changesApplied = r.changesTotal;
    ctx.result.lastAppliedCommitTime = r.lastAppliedCommitTime;
  } else {
    ctx.result.reverseChangesApplied = r.changesTotal;
  }
}

export function setStreamState(ctx: OnlineContext, state: CdcProgress['state']): void {
  if (ctx.progress.cdc) {
    ctx.progress.cdc.state = state;
    return;
  }
  // Visible from the moment streaming starts (the first slice's measures come when it ends),
  // so `tmig cutover` right after the phase turns to cdc sees an online tenant.
  ctx.progress.cdc = {
    state, direction: 'forward', lagBytes: 0, lagSeconds: 0, appliedPerSecond: 0, lastAppliedCommitTime: null,
    retainedWalBytes: 0, changesApplied: 0, cutoverRequested: ctx.requests.cutover !== null,
  };
}

/** Waits for an operator request (or the timeout), without streaming. */
export function requested(ctx: OnlineContext, timeoutMs: number): Promise<boolean> {
  return condition(() => ctx.requests.cutover !== null || ctx.requests.rollback || ctx.requests.confirm, timeoutMs);
}
