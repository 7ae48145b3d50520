/**
 * Shared pieces of the operator commands (status, pause, resume, cancel, retry-failed, throttle,
 * schedule): exit codes scripts rely on, the Temporal client from the global options, and finding
 * the workflow an operator names.
 */
import type { Command, CommanderError } from 'commander';
import { type Client, type WorkflowExecutionDescription, WorkflowNotFoundError } from '@temporalio/client';
import { connectClient } from '../temporal/connection';
import { globalTarget } from './temporalTarget';
import { GOVERNOR_WORKFLOW_TYPE } from '../contract/governorProtocol';

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  NotFound: 3,
  MigrationFailed: 4,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  the operation failed (Temporal unreachable, workflow not running, wave id already used, ...)
  2  usage error or invalid input (bad arguments, unknown command, bad cron, manifest or preflight problems)
  3  not found (no such wave, tenant workflow, governor or schedule)
  4  migration failed (the wave or tenant finished with failures)`;

/** An error carrying the exit code the CLI ends with (main.ts uses `exitCode`). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.Failed) {
    super(message);
  }
}

/** Makes commander's own usage errors (missing argument, unknown option) end with exit code 2. */
export function usageExitCodes<T extends Command>(cmd: T): T {
  return cmd.exitOverride((err: CommanderError) => {
    if (err.exitCode !== 0) err.exitCode = ExitCode.Usage;
    throw err;
  });
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Runs `fn` with a client built from the global --address/--namespace options, and closes it. */
export async function withClient<T>(cmd: Command, fn: (client: Client) => Promise<T>): Promise<T> {
  const target = globalTarget(cmd);
  let client: Client;
  try {
    client = await connectClient(target);
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${target.address}: ${(err as Error).message}`, ExitCode.Failed);
  }
  try {
    return await fn(client);
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

export function parsePositiveInt(value: string, what: string, min = 0): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new CliError(`${what} must be an integer >= ${min}, got "${value}"`, ExitCode.Usage);
  }
  return n;
}

/** Workflow types the operator commands never act on by name (a governor is not a wave). */
export const NOT_MIGRATION_WORKFLOW_TYPES: string[] = [GOVERNOR_WORKFLOW_TYPE];

export interface RunRef {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
}

export interface ResolvedWorkflow {
  workflowId: string;
  description: WorkflowExecutionDescription;
  /** For a tenant: its earlier runs (other waves, reruns), newest first. */
  earlierRuns?: RunRef[];
}

/** Every run of a tenant's migrations (all waves, reruns, old `tenant-<id>` ids), newest first. */
export async function tenantRuns(client: Client, tenantId: string): Promise<RunRef[]> {
  const runs: RunRef[] = [];
  try {
    const query = `TenantId = ${JSON.stringify(tenantId)} AND WorkflowType = "tenantMigration"`;
    for await (const wf of client.workflow.list({ query })) {
      runs.push({ workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name, startTime: wf.startTime.toISOString(),
        ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}) });
    }
  } catch {
    // TenantId not registered on this server: only exact ids resolve.
  }
  return runs.sort((a, b) => b.startTime.localeCompare(a.startTime));
}

/**
 * Finds the workflow an operator means by `ref`: a workflow id as is, a wave id (`wave-<id>`), a
 * tenant id (`tenant-<id>`), or else the latest migrationWave whose WaveId search attribute is `ref`
 * (scheduled waves get a time suffix on their workflow id).
 */
export async function resolveMigrationWorkflow(client: Client, ref: string): Promise<ResolvedWorkflow> {
  const candidates = [...new Set([ref, `wave-${ref}`])];
  const otherTypes: string[] = [];
  const withEarlier = async (found: ResolvedWorkflow): Promise<ResolvedWorkflow> => {
    if (found.description.type !== 'tenantMigration') return found;
    const tenantId = found.description.searchAttributes?.TenantId?.[0];
    if (typeof tenantId !== 'string') return found;
    const runs = await tenantRuns(client, tenantId);
    return { ...found, earlierRuns: runs.filter((r) => r.runId !== found.description.runId) };
  };
  for (const workflowId of candidates) {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      if (!NOT_MIGRATION_WORKFLOW_TYPES.includes(description.type)) return withEarlier({ workflowId, description });
      otherTypes.push(`${workflowId} is a ${description.type}`);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw new CliError(`describe ${workflowId}: ${(err as Error).message}`);
    }
  }
  // A tenant id: its latest run (each wave runs a tenant as tenant-<id>@<wave>), earlier ones listed.
  const runs = await tenantRuns(client, ref);
  if (runs.length > 0) {
    const [latest, ...earlierRuns] = runs;
    return { workflowId: latest.workflowId, description: await client.workflow.getHandle(latest.workflowId, latest.runId).describe(), earlierRuns };
  }
  try {
    const description = await client.workflow.getHandle(`tenant-${ref}`).describe();
    if (description.type === 'tenantMigration') return { workflowId: `tenant-${ref}`, description };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw new CliError(`describe tenant-${ref}: ${(err as Error).message}`);
  }
  // A scheduled wave: its runs carry dated wave ids (`<ref>-<time>`), the latest one is meant.
  for (const query of [`WaveId = ${JSON.stringify(ref)} AND WorkflowType = "migrationWave"`,
    `WaveId STARTS_WITH ${JSON.stringify(`${ref}-`)} AND WorkflowType = "migrationWave"`]) {
    try {
      let latest: { workflowId: string; startTime: Date } | undefined;
      for await (const wf of client.workflow.list({ query })) {
        if (!latest || wf.startTime > latest.startTime) latest = { workflowId: wf.workflowId, startTime: wf.startTime };
      }
      if (latest) {
        return { workflowId: latest.workflowId, description: await client.workflow.getHandle(latest.workflowId).describe() };
      }
    } catch {
      // WaveId not registered (or STARTS_WITH unsupported) on this server: try the next.
    }
  }
  throw new CliError(`no wave or tenant workflow found for "${ref}" (tried ${candidates.join(', ')}, TenantId="${ref}", tenant-${ref} and WaveId="${ref}")`
    + (otherTypes.length ? `; ${otherTypes.join(', ')}` : ''), ExitCode.NotFound);
}

export function isRunning(d: WorkflowExecutionDescription): boolean {
  return d.status.name === 'RUNNING';
}
