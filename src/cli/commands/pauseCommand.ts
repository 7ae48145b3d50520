import type { Command } from 'commander';
import { CliError, EXIT_CODES_HELP, ExitCode, isRunning, out, resolveMigrationWorkflow, usageExitCodes, withClient } from '../operator';

/** Sends a no-argument control signal (`pause` / `resume`) to a wave or tenant workflow. */
export async function signalMigration(cmd: Command, ref: string, signal: 'pause' | 'resume'): Promise<void> {
  await withClient(cmd, async (client) => {
    const { workflowId, description } = await resolveMigrationWorkflow(client, ref);
    if (!isRunning(description)) {
      throw new CliError(`${description.type} ${workflowId} is not running (${description.status.name}): nothing to ${signal}`, ExitCode.Failed);
    }
    await client.workflow.getHandle(workflowId).signal(signal);
    out(`${signal === 'pause' ? 'paused' : 'resumed'} ${description.type} ${workflowId}`
      + (signal === 'pause' ? ' (running chunks commit first; paused tenants keep the permits they hold, so other waves wait: cancel to free them)' : ''));
  });
}

export function registerPause(program: Command): void {
  usageExitCodes(program.command('pause'))
    .description('Pause a wave or one tenant: running chunks finish, nothing new starts')
    .argument('<target>', 'wave id, tenant id, or workflow id (wave-<id>, tenant-<id>)')
    .addHelpText('after', `
Examples:
  $ tmig pause nightly-2026-11-21        # the whole wave (it forwards to running tenants)
  $ tmig pause tenant-hotel123           # one tenant
  $ temporal workflow signal --workflow-id wave-nightly --name pause   # same, stock CLI
${EXIT_CODES_HELP}`)
    .action(async (target: string, _opts: unknown, cmd: Command) => signalMigration(cmd, target, 'pause'));
}
