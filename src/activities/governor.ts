/**
 * Activities of the concurrency governor: start-or-signal the governor of a pool, and tell which
 * permit holders' workflows have closed (so their permits can be reclaimed).
 *
 * They need a Temporal client: the worker hands its own over with `setGovernorClient(client)`;
 * otherwise one is created from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE on first use.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient, TASK_QUEUE } from '../common/temporal';
import { BadInputError, toActivityFailure } from '../common/errors';
import { loadConfig } from '../config/load';
import {
  acquireSignal, GOVERNOR_WORKFLOW_TYPE, governorWorkflowId, type GovernorInput, type PermitRequest,
} from '../workflows/governor';

let client: Client | undefined;
let connecting: Promise<Client> | undefined;

/** The worker calls this once with its client (shares the worker's connection and namespace). */
export function setGovernorClient(c: Client | undefined): void {
  client = c;
  connecting = undefined;
}

async function governorClient(): Promise<Client> {
  if (client) return client;
  connecting ??= connectClient().then((c) => (client = c));
  return connecting;
}

export interface EnsureGovernorAndAcquireInput {
  pool: string;
  /**
   * Limit for a governor that does not run yet. When absent, the worker config decides:
   * `servers.<pool>.maxConcurrency` if the pool is a server name, else FALLBACK_POOL_LIMIT.
   */
  defaultLimit?: number;
  request: PermitRequest;
}

export const FALLBACK_POOL_LIMIT = 4;

/** The configured default limit of a pool named after a server (the worker's config, read once). */
export function configuredPoolLimit(pool: string): number {
  try {
    return loadConfig().servers[pool]?.maxConcurrency ?? FALLBACK_POOL_LIMIT;
  } catch {
    // No worker config (MIGRATOR_CONFIG unset): the pool still works, with the fallback limit.
    return FALLBACK_POOL_LIMIT;
  }
}

const poolNamePattern = /^[A-Za-z0-9_.-]+$/;

/** Signal-with-start: starts `governor-<pool>` with the default limit if needed, then queues the request. */
export async function ensureGovernorAndAcquire(input: EnsureGovernorAndAcquireInput): Promise<void> {
  try {
    if (!poolNamePattern.test(input.pool)) {
      throw new BadInputError(`permit pool "${input.pool}": pool names use letters, digits, _ . - (tenant ${input.request.tenantId})`);
    }
    const limit = input.defaultLimit ?? configuredPoolLimit(input.pool);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new BadInputError(`permit pool "${input.pool}": default limit must be a positive integer, got ${limit}`);
    }
    const c = await governorClient();
    const start: GovernorInput = { pool: input.pool, limit };
    await c.workflow.signalWithStart(GOVERNOR_WORKFLOW_TYPE, {
      workflowId: governorWorkflowId(input.pool),
      taskQueue: TASK_QUEUE,
      args: [start],
      signal: acquireSignal,
      signalArgs: [input.request],
    });
  } catch (err) {
    throw toActivityFailure(err);
  }
}

export interface HolderRef {
  requestId: string;
  workflowId: string;
  runId?: string;
}

/** Request ids of holders whose workflow (run) is no longer running: closed, terminated, timed out or gone. */
export async function findClosedPermitHolders(holders: HolderRef[]): Promise<string[]> {
  const c = await governorClient();
  const closed: string[] = [];
  await Promise.all(holders.map(async (h) => {
    try {
      const d = await c.workflow.getHandle(h.workflowId, h.runId).describe();
      if (d.status.name !== 'RUNNING') closed.push(h.requestId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) closed.push(h.requestId);
      // Anything else (server unreachable...) says nothing about the holder: keep its permit.
    }
  }));
  return closed;
}

/** What the worker registers (setGovernorClient is not an activity). */
export const governorActivities = { ensureGovernorAndAcquire, findClosedPermitHolders };
