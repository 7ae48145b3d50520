/**
 * Activities of the concurrency governor: start-or-signal the governor of a pool, and tell which
 * permit holders' workflows have closed (so their permits can be reclaimed).
 *
 * They need a Temporal client: the worker hands its own over with `setGovernorClient(client)`;
 * otherwise one is created from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE on first use.
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient } from '../temporal/connection';
import { TASK_QUEUE } from '../contract/names';
import { BadInputError, toActivityFailure } from '../contract/failures';
import { loadConfig } from '../config/loadConfig';
import { TmigRoleKey } from '../contract/searchAttributes';
import { isUnregisteredSearchAttribute } from '../temporal/searchAttributeSupport';
import {
  acquireSignal, acquireUpdate, releaseSignal, GOVERNOR_WORKFLOW_TYPE, governorWorkflowId, type AcquireAnswer, type GovernorInput, type PermitRequest,
} from '../contract/governorProtocol';

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
/** Restores are the heaviest thing a SQL Server does: `restore-<server>` pools default to at most this. */
export const RESTORE_POOL_LIMIT = 2;

/**
 * The configured default limit of a pool (the worker's config):
 *  - `<server>`: `servers.<server>.maxConcurrency`;
 *  - `restore-<server>`: `servers.<server>.maxRestoreConcurrency` if the config has it, else
 *    min(RESTORE_POOL_LIMIT, maxConcurrency);
 *  - anything else, or no config: FALLBACK_POOL_LIMIT.
 */
export function configuredPoolLimit(pool: string): number {
  let servers: Record<string, { maxConcurrency: number; maxRestoreConcurrency?: number }>;
  try {
    servers = loadConfig().servers;
  } catch {
    // No worker config (MIGRATOR_CONFIG unset): the pool still works, with the fallback limit.
    return FALLBACK_POOL_LIMIT;
  }
  const server = servers[pool];
  if (server) return server.maxConcurrency;
  const restored = pool.startsWith('restore-') ? servers[pool.slice('restore-'.length)] : undefined;
  if (restored) return restored.maxRestoreConcurrency ?? Math.min(RESTORE_POOL_LIMIT, restored.maxConcurrency);
  return FALLBACK_POOL_LIMIT;
}

/** Idle grace of governors this worker starts: `governorIdleGraceSeconds` in the worker config. */
export function configuredIdleGraceSeconds(): number | undefined {
  try {
    return loadConfig().governorIdleGraceSeconds;
  } catch {
    return undefined; // No worker config: the workflow's default.
  }
}

let roleAttributeMissing = false;

const poolNamePattern = /^[A-Za-z0-9_.-]+$/;

/**
 * Starts `governor-<pool>` with the default limit if needed and queues the request, as
 * update-with-start: a free permit comes back in the answer. Servers without update-with-start
 * (or with it disabled) get the signal-with-start of before, and the grant by signal.
 */
export async function ensureGovernorAndAcquire(input: EnsureGovernorAndAcquireInput): Promise<AcquireAnswer> {
  try {
    if (!poolNamePattern.test(input.pool)) {
      throw new BadInputError(`permit pool "${input.pool}": pool names use letters, digits, _ . - (tenant ${input.request.tenantId})`);
    }
    const limit = input.defaultLimit ?? configuredPoolLimit(input.pool);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new BadInputError(`permit pool "${input.pool}": default limit must be a positive integer, got ${limit}`);
    }
    const c = await governorClient();
    const idleGraceSeconds = configuredIdleGraceSeconds();
    const start: GovernorInput = { pool: input.pool, limit, ...(idleGraceSeconds !== undefined ? { idleGraceSeconds } : {}) };
    const common = (withRole: boolean) => ({
      workflowId: governorWorkflowId(input.pool),
      taskQueue: TASK_QUEUE,
      args: [start] as [GovernorInput],
      ...(withRole ? { typedSearchAttributes: [{ key: TmigRoleKey, value: 'governor' }] } : {}),
    });
    const update = (withRole: boolean) => c.workflow.executeUpdateWithStart(acquireUpdate, {
      args: [input.request],
      startWorkflowOperation: new WithStartWorkflowOperation(GOVERNOR_WORKFLOW_TYPE, { ...common(withRole), workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    const signal = async (withRole: boolean): Promise<AcquireAnswer> => {
      await c.workflow.signalWithStart(GOVERNOR_WORKFLOW_TYPE, { ...common(withRole), signal: acquireSignal, signalArgs: [input.request] });
      return { granted: false };
    };
    const send = (withRole: boolean) => (updateWithStartMissing ? signal(withRole) : update(withRole).catch((err: unknown) => {
      if (!isUpdateWithStartUnavailable(err)) throw err;
      updateWithStartMissing = true;
      return signal(withRole);
    }));
    try {
      return await send(!roleAttributeMissing);
    } catch (err) {
      // A server without the TmigRole attribute still gets its permits (the role is for the UI only).
      if (roleAttributeMissing || !isUnregisteredSearchAttribute(err)) throw err;
      roleAttributeMissing = true;
      return await send(false);
    }
  } catch (err) {
    throw toActivityFailure(err);
  }
}

let updateWithStartMissing = false;
/** gRPC status UNIMPLEMENTED (an older server without the ExecuteMultiOperation call). */
const GRPC_UNIMPLEMENTED = 12;

/** The server has no update-with-start, or has it (or updates) turned off: acquire by signal instead. */
export function isUpdateWithStartUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === GRPC_UNIMPLEMENTED) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (/ExecuteMultiOperation|UpdateWorkflowExecution/i.test(message) && /disabled|not (?:enabled|supported|allowed)|unimplemented/i.test(message)) return true;
  }
  return false;
}

/**
 * Hands permits back (signal `release` to each pool's governor, sent by this worker's client). Run as
 * a local activity: no activity-queue round trip, and no workflow task woken by the delivery of a
 * workflow's own signal. A client's signal does not depend on the holder workflow still running,
 * so the last release can be sent as the holder completes. A governor that no longer runs has
 * nothing to give back to.
 */
export async function releasePermits(input: { permits: { pool: string; requestId: string }[] }): Promise<{ released: { pool: string; requestId: string }[] }> {
  try {
    const c = await governorClient();
    await Promise.all(input.permits.map(async ({ pool, requestId }) => {
      try {
        await c.workflow.getHandle(governorWorkflowId(pool)).signal(releaseSignal, { requestId });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }));
    return { released: input.permits };
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
export const governorActivities = { ensureGovernorAndAcquire, findClosedPermitHolders, releasePermits };
