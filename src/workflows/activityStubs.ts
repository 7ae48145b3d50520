/**
 * The activity stubs tenant phases call, one per group of timeouts. Activities are imported as
 * types only (workflow code never loads them).
 */
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../contract/names';

export const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 12 };

export const light = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry,
});

/** DDL: building indexes and constraints on large tables can take hours; activities heartbeat on a timer. */
export const ddl = proxyActivities<typeof activities>({
  taskQueue: TASK_QUEUE, startToCloseTimeout: '12h', heartbeatTimeout: '2m', retry,
});

/** Copy slices: a pause waits until the activity has stopped cleanly between chunks. */
export const slices = proxyActivities<typeof activities>({
  taskQueue: HEAVY_TASK_QUEUE, startToCloseTimeout: '30m', heartbeatTimeout: '20s', retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Restores can take hours: long timeout, progress heartbeats from the server's messages. */
export const restores = proxyActivities<typeof activities>({
  taskQueue: HEAVY_TASK_QUEUE, startToCloseTimeout: '12h', heartbeatTimeout: '5m', retry: { ...retry, maximumAttempts: 4 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Short bookkeeping steps (prepare, describe, plan, integrity check, report, mark complete) as local
 * activities: they run on the worker that runs the workflow, inside its workflow task, without a trip
 * through the task queue and a second workflow task. A tenant of a few thousand rows is mostly such
 * round trips. Light workers host the workflows and all activities, so whoever runs the workflow can
 * run these. Same retries; a retry after `localRetryThreshold` waits on a durable timer.
 */
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30m', localRetryThreshold: '10s', retry });

/** Patch: short steps run as local activities (histories from before scheduled them on the task queue). */
export const LOCAL_STEPS_PATCH = 'short-steps-local';

/** The stub for a short step: a local activity, or the task-queue activity when replaying an older history. */
export function quick(): typeof local {
  return patched(LOCAL_STEPS_PATCH) ? local : (light as unknown as typeof local);
}
