import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { TenantProgress, WaveProgress } from '../../contract/migration';
import { CliError, EXIT_CODES_HELP, ExitCode, isRunning, out, parsePositiveInt, resolveMigrationWorkflow, usageExitCodes, withClient } from '../operator';

/** Sends a no-argument control signal (`pause` / `resume`) to a wave or tenant workflow. */
export async function signalMigration(cmd: Command, ref: string, signal: 'pause' | 'resume', wait?: { timeoutMs: number }): Promise<void> {
  await withClient(cmd, async (client) => {
    const { workflowId, description } = await resolveMigrationWorkflow(client, ref);
    if (!isRunning(description)) {
      throw new CliError(`${description.type} ${workflowId} is not running (${description.status.name}): nothing to ${signal}`, ExitCode.Failed);
    }
    await client.workflow.getHandle(workflowId).signal(signal);
    out(`${signal === 'pause' ? 'paused' : 'resumed'} ${description.type} ${workflowId}`
      + (signal === 'pause' ? ' (running chunks commit first; paused tenants keep the permits they hold, so other waves wait: cancel to free them)' : ''));
    if (signal === 'pause' && wait) await waitUntilPaused(client, workflowId, description.type, wait.timeoutMs);
  });
}

/**
 * A wave forwards its pause to its running tenants by signal, and each tenant stops its copy
 * slices at the next chunk boundary: until then a tenant still copies. Waits until every running
 * tenant (or the one tenant) reports itself paused with no copy slice running.
 */
async function waitUntilPaused(client: Client, workflowId: string, type: string, timeoutMs: number): Promise<void> {
  if (type !== 'migrationWave' && type !== 'tenantMigration') {
    out(`(--wait: ${type} has no tenants to wait for)`);
    return;
  }
  const tenantStopped = (id: string) => client.workflow.getHandle(id).query<TenantProgress>('progress')
    // A tenant that closed meanwhile copies nothing either.
    .then((p) => p.paused && (p.activeCopies ?? 0) === 0, () => true);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let waiting: string[];
    let done: string;
    if (type === 'tenantMigration') {
      waiting = (await tenantStopped(workflowId)) ? [] : [workflowId];
      done = `${workflowId}: paused, no copy running`;
    } else {
      const wave = await client.workflow.getHandle(workflowId).query<WaveProgress>('progress');
      const stopped = await Promise.all(wave.running.map(tenantStopped));
      waiting = [...(wave.paused ? [] : [workflowId]), ...wave.running.filter((_, i) => !stopped[i])];
      done = `${workflowId}: paused, ${wave.running.length} running tenant(s) stopped copying`;
    }
    if (waiting.length === 0) {
      out(done);
      return;
    }
    if (Date.now() > deadline) {
      throw new CliError(`${workflowId}: not paused after ${Math.round(timeoutMs / 1000)}s: still copying: ${waiting.slice(0, 10).join(', ')}${waiting.length > 10 ? ` (+${waiting.length - 10} more)` : ''}`, ExitCode.Failed);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function registerPause(program: Command): void {
  usageExitCodes(program.command('pause'))
    .description('Pause a wave or one tenant: running chunks finish, nothing new starts')
    .argument('<target>', 'wave id, tenant id, or workflow id (wave-<id>, tenant-<id>)')
    .option('--wait', 'wait until every running tenant has paused and its running chunk has committed')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds', '120')
    .addHelpText('after', `
Examples:
  $ tmig pause nightly-2026-11-21 --wait # the whole wave (it forwards to running tenants)
  $ tmig pause tenant-hotel123           # one tenant
  $ temporal workflow signal --workflow-id wave-nightly --name pause   # same, stock CLI (does not wait)
${EXIT_CODES_HELP}`)
    .action(async (target: string, opts: { wait?: boolean; timeout: string }, cmd: Command) =>
      signalMigration(cmd, target, 'pause', opts.wait ? { timeoutMs: parsePositiveInt(opts.timeout, '--timeout', 1) * 1000 } : undefined));
}
