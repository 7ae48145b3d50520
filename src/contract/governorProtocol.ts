/**
 * The concurrency governor's protocol: workflow id, input and state, and the signals and query that
 * tenants, activities and the CLI exchange with it. Pure names and types (safe in workflow code).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { WorkflowType } from './names';

export const GOVERNOR_WORKFLOW_TYPE = WorkflowType.concurrencyGovernor;

/** The governor's workflow id for a pool (pool names are server names: letters, digits, `_ . -`). */
const GOVERNOR_ID_PREFIX = 'governor-';

export function governorWorkflowId(pool: string): string {
  return `${GOVERNOR_ID_PREFIX}${pool}`;
}

/** The pool a governor's workflow id names (the inverse of governorWorkflowId); undefined for other ids. */
export function poolOfGovernorWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(GOVERNOR_ID_PREFIX) ? workflowId.slice(GOVERNOR_ID_PREFIX.length) : undefined;
}

export interface PermitRequest {
  /** Unique per acquisition; the holder uses it to release. */
  requestId: string;
  /** Workflow that receives `permitGranted` and whose liveness is checked for reclaiming. */
  workflowId: string;
  /** Run of that workflow; when given, grants and liveness checks target exactly this run. */
  runId?: string;
  tenantId: string;
}

export interface PermitEntry extends PermitRequest {
  /** ISO time the permit was granted (holders) or requested (queue). */
  since: string;
}

export interface GovernorInput {
  pool: string;
  limit: number;
  holders?: PermitEntry[];
  queue?: PermitEntry[];
  /** How often holders are checked for closed workflows (default 30 s). */
  reclaimIntervalSeconds?: number;
  /** Continue-as-new once history has this many events (default 2000), or when the server suggests it. */
  continueAsNewAfterEvents?: number;
  /** Permits reclaimed from closed holders over the governor's whole life (carried across runs). */
  reclaimedTotal?: number;
  grantedTotal?: number;
  /** Seconds an idle governor (no holder, no waiter) waits before it completes (default 10). */
  idleGraceSeconds?: number;
  /** Limit set by an operator: the governor stays while idle (until `retire`). */
  pinned?: boolean;
}

export interface GovernorState {
  pool: string;
  limit: number;
  holders: PermitEntry[];
  queue: PermitEntry[];
  grantedTotal: number;
  reclaimedTotal: number;
  /** True when an operator set the limit: the governor does not end when idle. */
  pinned?: boolean;
}

export interface PermitGrant {
  pool: string;
  requestId: string;
}

export const acquireSignal = defineSignal<[PermitRequest]>('acquire');

/** The governor's answer to an acquire sent as an update. */
export interface AcquireAnswer {
  /** Granted in the answer: no `permitGranted` signal follows. Otherwise queued: the signal comes with the grant. */
  granted: boolean;
}
/**
 * The acquire as an update (update-with-start): a free permit comes back in the answer, saving the
 * grant signal's round trip and a workflow task of the holder. Same request, same queue, idempotent.
 */
export const acquireUpdate = defineUpdate<AcquireAnswer, [PermitRequest]>('acquireNow');
export const releaseSignal = defineSignal<[{ requestId: string }]>('release');
export const setLimitSignal = defineSignal<[{ limit: number }]>('setLimit');
/** Drops an operator's pin: the governor ends once no one holds or waits (`tmig throttle delete`). */
export const retireSignal = defineSignal('retire');
export const stateQuery = defineQuery<GovernorState>('state');
/** Sent by the governor to the holder workflow; handled in permits.ts. */
export const permitGrantedSignal = defineSignal<[PermitGrant]>('permitGranted');
