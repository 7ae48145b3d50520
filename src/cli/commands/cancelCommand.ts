import type { Command } from 'commander';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { CliError, EXIT_CODES_HELP, ExitCode, isRunning, out, parsePositiveInt, resolveMigrationWorkflow, usageExitCodes, withClient } from '../operator';

export function registerCancel(program: Command): void {
  usageExitCodes(program.command('cancel'))
    .description('Cancel a wave or one tenant: running activities stop at their next heartbeat; targets stay resumable or are marked incomplete')
    .argument('<target>', 'wave id, tenant id, or workflow id (wave-<id>, tenant-<id>)')
    .option('--wait', 'wait until the workflow has closed')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds', '300')
    .addHelpText('after', `
Examples:
  $ tmig cancel nightly-2026-11-21 --wait
  $ tmig cancel tenant-hotel123
  $ temporal workflow cancel --workflow-id wave-nightly   # same, stock CLI
${EXIT_CODES_HELP}`)
    .action(async (target: string, opts: { wait?: boolean; timeout: string }, cmd: Command) => {
      const timeoutMs = parsePositiveInt(opts.timeout, '--timeout', 1) * 1000;
      await withClient(cmd, async (client) => {
        const { workflowId, description } = await resolveMigrationWorkflow(client, target);
        if (!isRunning(description)) {
          throw new CliError(`${description.type} ${workflowId} is not running (${description.status.name}): nothing to cancel`, ExitCode.Failed);
        }
        const handle = client.workflow.getHandle(workflowId, description.runId);
        await handle.cancel();
        out(`cancellation requested for ${description.type} ${workflowId}`);
        if (!opts.wait) return;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
        const outcome = await Promise.race([
          handle.result().then((r: { failed?: unknown[]; ok?: boolean } | undefined) =>
            (r?.failed?.length ? `completed, ${r.failed.length} tenant(s) failed or cancelled` : r?.ok === false ? 'completed, failed' : 'completed'), (err) =>
            err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure ? 'cancelled' as const : 'failed' as const),
          timedOut,
        ]).finally(() => clearTimeout(timer));
        if (outcome === 'timeout') throw new CliError(`${workflowId} still running after ${opts.timeout}s`, ExitCode.Failed);
        out(`${workflowId}: ${outcome}`);
      });
    });
}
