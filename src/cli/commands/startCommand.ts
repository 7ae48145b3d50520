import type { Command } from 'commander';
import { type Client, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUE, WorkflowType, waveWorkflowId } from '../../contract/names';
import type { MigrationWaveInput } from '../../contract/migration';
import { TmigRoleKey, WaveIdKey } from '../../contract/searchAttributes';
import { CliError, EXIT_CODES_HELP, ExitCode, out, usageExitCodes, withClient } from '../operator';
import { runPreflight } from './checkCommand';
import { readManifest } from '../manifestFile';
import { waveResultLines } from '../waveSummary';
import { isUnregisteredSearchAttribute } from '../../temporal/searchAttributeSupport';


/**
 * Refuses to start a wave id that runs now, or that already ran unless `rerun` (a rerun is a new
 * run of the same wave: its own run id, its own reports).
 */
export async function assertWaveIdFree(client: Client, waveId: string, rerun: boolean): Promise<void> {
  try {
    const d = await client.workflow.getHandle(waveWorkflowId(waveId)).describe();
    if (d.status.name === 'RUNNING') {
      throw new CliError(`wave ${waveId} is already running (workflow ${d.workflowId}, started ${d.startTime.toISOString()}): see "tmig status ${waveId}"`);
    }
    if (!rerun) {
      throw new CliError(`wave ${waveId} already ran (${d.status.name}, ${(d.closeTime ?? d.startTime).toISOString()}): `
        + 'give it a new waveId, or pass --rerun to run it again (earlier runs and reports are kept)');
    }
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** Starts migrationWave with the WaveId and TmigRole search attributes (without TmigRole on a server that lacks it). */
export async function startWave(client: Client, input: MigrationWaveInput, rerun: boolean) {
  const start = (withRole: boolean) => client.workflow.start(WorkflowType.migrationWave, {
    workflowId: waveWorkflowId(input.waveId), taskQueue: TASK_QUEUE, args: [input],
    workflowIdReusePolicy: rerun ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [{ key: WaveIdKey, value: input.waveId }, ...(withRole ? [{ key: TmigRoleKey, value: 'wave' }] : [])],
    // What the Temporal UI shows for the wave: names and counts only, never a connection string.
    staticSummary: waveStaticSummary(input),
    staticDetails: waveStaticDetails(input),
  });
  try {
    return await start(true);
  } catch (err) {
    if (!isUnregisteredSearchAttribute(err)) throw err;
    return start(false);
  }
}

export function registerStart(program: Command): void {
  usageExitCodes(program.command('start'))
    .description('start a migration wave from a manifest (JSON or YAML), after a preflight of its servers and source databases')
    .argument('<manifest>', 'manifest file: { waveId, tenants: [...], options }')
    .option('--wait', 'wait for the wave to finish and exit 4 if any tenant failed')
    .option('--rerun', 'run a wave id that already ran again (refused otherwise)')
    .option('--config <file>', 'worker config for the preflight (default: MIGRATOR_CONFIG)')
    .option('--no-preflight', 'skip resolving servers and checking source databases')
    .addHelpText('after', `
Examples:
  tmig start examples/wave.json --wait
  tmig start examples/wave.json --rerun          # the same wave id again (a new run, new reports)
The preflight (as "tmig check") needs the worker config: --config or MIGRATOR_CONFIG; without it
start says so and skips it. Every problem is listed at once and nothing starts (exit 2).
${EXIT_CODES_HELP}`)
    .action(async (manifestPath: string, opts: { wait?: boolean; rerun?: boolean; config?: string; preflight: boolean }, cmd: Command) => {
      const input = readManifest(manifestPath);
      if (opts.preflight) {
        const configPath = opts.config ?? process.env.MIGRATOR_CONFIG;
        if (configPath) await runPreflight(input, configPath);
        else process.stderr.write('tmig: preflight skipped: no worker config (pass --config or set MIGRATOR_CONFIG)\n');
      }
      await withClient(cmd, async (client) => {
        await assertWaveIdFree(client, input.waveId, opts.rerun === true);
        const handle = await startWave(client, input, opts.rerun === true);
        out(`started wave ${input.waveId}: workflow ${handle.workflowId} run ${handle.firstExecutionRunId} (${input.tenants.length} tenants)`);
        if (opts.wait) {
          const result = await handle.result();
          const { lines, failed } = waveResultLines(input.waveId, result);
          out(lines.join('\n'));
          if (failed) process.exitCode = ExitCode.MigrationFailed;
        }
      });
    });
}

/** `wave 2026-11-nightly: 120 tenants` (the Temporal UI's summary line). */
export function waveStaticSummary(input: MigrationWaveInput): string {
  return `wave ${input.waveId}: ${input.tenants.length} tenant${input.tenants.length === 1 ? '' : 's'}`;
}

/** Source and target servers of the wave, with tenant counts (markdown, as the Temporal UI renders it). */
export function waveStaticDetails(input: MigrationWaveInput): string {
  const pairs = new Map<string, number>();
  for (const t of input.tenants) {
    const k = `${t.source.server} → ${t.target.server}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  return [...pairs].slice(0, 20).map(([k, n]) => `- ${k}: ${n} tenant${n === 1 ? '' : 's'}`).join('\n');
}
