import type { Command } from 'commander';
import { type Client, defaultPayloadConverter, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { waveWorkflowId } from '../../contract/names';
import type { MigrationWaveInput, MigrationWaveResult, WaveProgress } from '../../contract/migration';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, resolveMigrationWorkflow, usageExitCodes, withClient } from '../operator';
import { startWave } from './startCommand';
import { WorkflowType } from '../../contract/names';

/** The wave's input, read from the first event of its current run (continue-as-new keeps the input). */
export async function readWaveInput(client: Client, workflowId: string, runId: string): Promise<MigrationWaveInput> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new CliError(`wave ${workflowId}: its first history event carries no input`);
  return defaultPayloadConverter.fromPayload<MigrationWaveInput>(payload);
}

/** Failed tenant ids: from the result of a completed wave, else from its progress query. */
export async function failedTenantIds(client: Client, workflowId: string, runId: string, status: string): Promise<string[]> {
  const handle = client.workflow.getHandle(workflowId, runId);
  if (status === 'COMPLETED') {
    const result = await handle.result() as MigrationWaveResult;
    // failedTenantIds is complete; `failed` is a capped sample in large waves.
    return result.failedTenantIds ?? result.failed.map((f) => f.tenantId);
  }
  try {
    const progress = await handle.query<WaveProgress>('progress');
    return progress.failed.map((f) => f.tenantId);
  } catch (err) {
    throw new CliError(`wave ${workflowId} is ${status} and its progress query failed (is a worker running?): ${(err as Error).message}`);
  }
}

/**
 * The next free retry wave id; refuses while an earlier retry of the same wave still runs (only one
 * retry of a wave at a time: two would race for the same tenants).
 */
async function nextRetryWaveId(client: Client, waveId: string): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const candidate = `${waveId}-retry-${n}`;
    try {
      const d = await client.workflow.getHandle(waveWorkflowId(candidate)).describe();
      if (d.status.name === 'RUNNING') {
        throw new CliError(`wave ${waveId}: retry wave ${candidate} is still running (started ${d.startTime.toISOString()}); `
          + `only one retry of a wave runs at a time: wait for it ("tmig status ${candidate}") or cancel it`);
      }
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return candidate;
      throw err;
    }
  }
  throw new CliError(`wave ${waveId}: 999 retry waves exist already`);
}

export function registerRetryFailed(program: Command): void {
  usageExitCodes(program.command('retry-failed'))
    .description('Start a new wave <waveId>-retry-<n> with the failed tenants of a wave (same tenant specs and options)')
    .argument('<wave>', 'wave id or wave workflow id')
    .option('--dry-run', 'print the new wave input, start nothing')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', `
Examples:
  $ tmig retry-failed nightly-2026-11-21            # starts wave nightly-2026-11-21-retry-1
  $ tmig retry-failed nightly-2026-11-21 --dry-run > retry.json
  $ tmig status nightly-2026-11-21-retry-1 --watch
Failed tenants come from the wave's result (finished wave) or its progress query (running wave);
the input is read from the wave's first history event, so it works for waves started any way.
${EXIT_CODES_HELP}`)
    .action(async (ref: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { workflowId, description } = await resolveMigrationWorkflow(client, ref);
        if (description.type !== WorkflowType.migrationWave) {
          throw new CliError(`${workflowId} is a ${description.type}, not a migrationWave: retry-failed takes a wave`, ExitCode.Usage);
        }
        const input = await readWaveInput(client, workflowId, description.runId);
        const failed = new Set(await failedTenantIds(client, workflowId, description.runId, description.status.name));
        const tenants = input.tenants.filter((t) => failed.has(t.tenantId));
        if (tenants.length === 0) {
          if (opts.json) outJson({ waveId: input.waveId, retryWaveId: null, tenants: [] });
          else out(`wave ${input.waveId}: no failed tenants, nothing to retry`);
          return;
        }
        const retryWaveId = await nextRetryWaveId(client, input.waveId);
        const retryInput: MigrationWaveInput = { ...input, waveId: retryWaveId, tenants };
        if (opts.dryRun) {
          outJson(retryInput);
          return;
        }
        let handle;
        try {
          // REJECT_DUPLICATE: of two retry-failed started at the same moment, one wins, the other is refused.
          handle = await startWave(client, retryInput, false);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CliError(`wave ${input.waveId}: another retry-failed started ${retryWaveId} just now; only one retry of a wave runs at a time`);
          }
          throw err;
        }
        if (opts.json) outJson({ waveId: input.waveId, retryWaveId, workflowId: handle.workflowId, tenants: tenants.map((t) => t.tenantId) });
        else out(`started wave ${retryWaveId} (workflow ${handle.workflowId}) with ${tenants.length} failed tenant(s) of ${input.waveId}: ${tenants.map((t) => t.tenantId).join(', ')}`);
      });
    });
}
