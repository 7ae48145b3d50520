import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { TenantProgress, WaveProgress } from '../../contract/migration';
import type { WaveCutoverRequest } from '../../contract/online';
import { CliError, EXIT_CODES_HELP, ExitCode, isRunning, out, parsePositiveInt, resolveMigrationWorkflow, tenantRuns, usageExitCodes, withClient } from '../operator';

/**
 * `tmig cutover|rollback|cutover-confirm <tenant>`: the online tenant's operator signals (the
 * stock CLI does the same: `temporal workflow signal --workflow-id <tenant workflow> --name cutover`).
 * `--wave <waveId>`: the same signal on the wave, which cuts its online tenants over N at a time
 * (or confirms every tenant of it in its rollback window).
 */

/** The running workflow of a tenant: a workflow id as given, else its running run (`tenant-<id>@<wave>` or `tenant-<id>`). */
async function tenantWorkflowId(client: Client, tenant: string): Promise<string> {
  if (tenant.startsWith('tenant-')) return tenant;
  const running = (await tenantRuns(client, tenant)).find((r) => r.status === 'RUNNING');
  return running?.workflowId ?? `tenant-${tenant}`;
}

async function signalOnline(cmd: Command, tenant: string, signal: 'cutover' | 'rollback' | 'cutover-confirm', arg?: unknown): Promise<void> {
  await withClient(cmd, async (client) => {
    const workflowId = await tenantWorkflowId(client, tenant);
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

async function signalWave(cmd: Command, wave: string, signal: 'cutover' | 'cutover-confirm', arg?: WaveCutoverRequest): Promise<void> {
  await withClient(cmd, async (client) => {
    const { workflowId, description } = await resolveMigrationWorkflow(client, wave);
    if (description.type !== 'migrationWave') throw new CliError(`${workflowId} is a ${description.type}, not a wave`, ExitCode.Usage);
    if (!isRunning(description)) throw new CliError(`${workflowId} is not running (${description.status.name})`, ExitCode.Failed);
    const handle = client.workflow.getHandle(workflowId);
    const p = await handle.query<WaveProgress>('progress');
    await handle.signal(signal, ...(arg === undefined ? [] : [arg]));
    const running = p.running.length;
    out(signal === 'cutover'
      ? `cutover requested for the online tenants of ${workflowId}, ${arg?.batch ?? 'options.online.cutoverBatch (default 1)'} at a time`
        + ` (${running} tenant(s) running; follow it with: tmig status ${workflowId})`
      : `cutover-confirm requested for every tenant of ${workflowId} in its rollback window`);
  });
}

function lagOption(v: string | undefined): number | undefined {
  const lag = v === undefined ? undefined : Number(v);
  if (lag !== undefined && !(lag >= 0)) throw new CliError('--lag-threshold must be a number of seconds', ExitCode.Usage);
  return lag;
}

/** Exactly one of <tenant> and --wave. */
function target(tenant: string | undefined, wave: string | undefined): { tenant: string } | { wave: string } {
  if (!!tenant === !!wave) throw new CliError('name a tenant or --wave <waveId> (one of them)', ExitCode.Usage);
  return tenant ? { tenant } : { wave: wave! };
}

export function registerCutover(program: Command): void {
  usageExitCodes(program.command('cutover'))
    .description('Cut an online tenant (or a wave\'s online tenants, N at a time) over to the target: lag under the threshold, freeze the source, drain, sequences, final checksum check, switch hook, open the target')
    .argument('[tenant]', 'tenant id or workflow id (tenant-<id>@<wave>, tenant-<id>)')
    .option('--wave <waveId>', 'cut over every online tenant of this wave (tenants still copying are cut over once they stream)')
    .option('--batch <n>', 'with --wave: tenants cut over at once (default: options.online.cutoverBatch, else 1)')
    .option('--only <tenants>', 'with --wave: only these tenant ids (comma-separated)')
    .option('--lag-threshold <seconds>', 'wait until the apply lag is at most this (default: options.online.lagThresholdSeconds, 5)')
    .addHelpText('after', `
Examples:
  $ tmig cutover hotel123
  $ tmig cutover --wave 2026-12-pilot --batch 5
  $ temporal workflow signal --workflow-id tenant-hotel123@2026-12-pilot --name cutover --input '{"lagThresholdSeconds": 2}'
  $ temporal workflow signal --workflow-id wave-2026-12-pilot --name cutover --input '{"batch": 5}'
${EXIT_CODES_HELP}`)
    .action(async (tenant: string | undefined, opts: { wave?: string; batch?: string; only?: string; lagThreshold?: string }, cmd: Command) => {
      const lag = lagOption(opts.lagThreshold);
      const t = target(tenant, opts.wave);
      if ('tenant' in t) {
        if (opts.batch !== undefined || opts.only !== undefined) throw new CliError('--batch and --only apply with --wave', ExitCode.Usage);
        return signalOnline(cmd, t.tenant, 'cutover', lag === undefined ? undefined : { lagThresholdSeconds: lag });
      }
      const req: WaveCutoverRequest = {
        ...(opts.batch !== undefined ? { batch: parsePositiveInt(opts.batch, '--batch', 1) } : {}),
        ...(lag !== undefined ? { lagThresholdSeconds: lag } : {}),
        ...(opts.only !== undefined ? { tenants: opts.only.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      };
      return signalWave(cmd, t.wave, 'cutover', req);
    });
  usageExitCodes(program.command('rollback'))
    .description('After a cutover: freeze the target, drain the reverse stream, switch hook "source", open the source')
    .argument('<tenant>', 'tenant id or workflow id')
    .action(async (tenant: string, _o: unknown, cmd: Command) => signalOnline(cmd, tenant, 'rollback'));
  usageExitCodes(program.command('cutover-confirm'))
    .description('End the rollback window (of one tenant, or of every tenant of a wave in it): drop both slots and publications; the tenant completes')
    .argument('[tenant]', 'tenant id or workflow id')
    .option('--wave <waveId>', 'confirm every tenant of this wave that is in its rollback window')
    .action(async (tenant: string | undefined, opts: { wave?: string }, cmd: Command) => {
      const t = target(tenant, opts.wave);
      return 'tenant' in t ? signalOnline(cmd, t.tenant, 'cutover-confirm') : signalWave(cmd, t.wave, 'cutover-confirm');
    });
}
