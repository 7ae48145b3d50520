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
  /** Limit for a governor that does not run yet (servers.<name>.maxConcurrency). */
  defaultLimit: number;
  request: PermitRequest;
}

const poolNamePattern = /^[A-Za-z0-9_.-]+$/;

/** Signal-with-start: starts `governor-<pool>` with the default limit if needed, then queues the request. */
export async function ensureGovernorAndAcquire(input: EnsureGovernorAndAcquireInput): Promise<void> {
  try {
    if (!poolNamePattern.test(input.pool)) {
      throw new BadInputError(`permit pool "${input.pool}": pool names use letters, digits, _ . - (tenant ${input.request.tenantId})`);
    }
    if (!Number.isInteger(input.defaultLimit) || input.defaultLimit < 1) {
      throw new BadInputError(`permit pool "${input.pool}": default limit must be a positive integer, got ${input.defaultLimit}`);
    }
    const c = await governorClient();
    const start: GovernorInput = { pool: input.pool, limit: input.defaultLimit };
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
