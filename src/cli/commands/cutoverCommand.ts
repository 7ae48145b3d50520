import type { Command } from 'commander';
import type { TenantProgress } from '../../contract/migration';
import { CliError, EXIT_CODES_HELP, ExitCode, isRunning, out, usageExitCodes, withClient } from '../operator';

/**
 * `tmig cutover|rollback|cutover-confirm <tenant>`: the online tenant's operator signals (the
 * stock CLI does the same: `temporal workflow signal --workflow-id tenant-<id> --name cutover`).
 */
async function signalOnline(cmd: Command, tenant: string, signal: 'cutover' | 'rollback' | 'cutover-confirm', arg?: unknown): Promise<void> {
  await withClient(cmd, async (client) => {
    const workflowId = tenant.startsWith('tenant-') ? tenant : `tenant-${tenant}`;
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe().catch(() => {
      throw new CliError(`no tenant workflow ${workflowId}`, ExitCode.NotFound);
    });
    if (!isRunning(description)) throw new CliError(`${workflowId} is not running (${description.status.name})`, ExitCode.Failed);
    const p = await handle.query<TenantProgress>('progress');
    if (!p.cdc) throw new CliError(`${workflowId} is not an online migration (start it with options.online)`, ExitCode.Failed);
    const allowed: Record<typeof signal, string[]> = {
      cutover: ['streaming', 'cutover'], rollback: ['rollback-window'], 'cutover-confirm': ['rollback-window'],
    };
    if (!allowed[signal].includes(p.cdc.state)) {
      throw new CliError(`${workflowId} is ${p.cdc.state}; ${signal} applies when it is ${allowed[signal].join(' or ')}`, ExitCode.Failed);
    }
    await handle.signal(signal, ...(arg === undefined ? [] : [arg]));
    out(`${signal} requested for ${workflowId} (follow it with: tmig status ${workflowId})`);
  });
}

export function registerCutover(program: Command): void {
  usageExitCodes(program.command('cutover'))
    .description('Cut an online tenant over to the target: lag under the threshold, freeze the source, drain, sequences, final checksum check, switch hook, open the target')
    .argument('<tenant>', 'tenant id or workflow id (tenant-<id>)')
    .option('--lag-threshold <seconds>', 'wait until the apply lag is at most this (default: options.online.lagThresholdSeconds, 5)')
    .addHelpText('after', `
Examples:
  $ tmig cutover hotel123
  $ temporal workflow signal --workflow-id tenant-hotel123 --name cutover --input '{"lagThresholdSeconds": 2}'
${EXIT_CODES_HELP}`)
    .action(async (tenant: string, opts: { lagThreshold?: string }, cmd: Command) => {
      const lag = opts.lagThreshold === undefined ? undefined : Number(opts.lagThreshold);
      if (lag !== undefined && !(lag >= 0)) throw new CliError('--lag-threshold must be a number of seconds', ExitCode.Usage);
      await signalOnline(cmd, tenant, 'cutover', lag === undefined ? undefined : { lagThresholdSeconds: lag });
    });
  usageExitCodes(program.command('rollback'))
    .description('After a cutover: freeze the target, drain the reverse stream, switch hook "source", open the source')
    .argument('<tenant>', 'tenant id or workflow id')
    .action(async (tenant: string, _o: unknown, cmd: Command) => signalOnline(cmd, tenant, 'rollback'));
  usageExitCodes(program.command('cutover-confirm'))
    .description('End the rollback window: drop both slots and publications; the tenant completes')
    .argument('<tenant>', 'tenant id or workflow id')
    .action(async (tenant: string, _o: unknown, cmd: Command) => signalOnline(cmd, tenant, 'cutover-confirm'));
}
