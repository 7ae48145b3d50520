import type { Command } from 'commander';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { BadInputError } from '../../contract/failures';
import {
  createWaveSchedule, DEFAULT_CATCHUP_WINDOW, DEFAULT_WAVE_CRON, deleteWaveSchedule, describeWaveSchedule, listWaveSchedules,
  loadWaveManifest, pauseWaveSchedule, triggerWaveSchedule, unpauseWaveSchedule, type WaveScheduleInfo,
} from '../../schedules/waveSchedules';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes, withClient } from '../operator';

/** Maps schedule errors to the CLI's exit codes. */
async function scheduleOp<T>(scheduleId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CliError(`schedule "${scheduleId}" not found`, ExitCode.NotFound);
    if (err instanceof ScheduleAlreadyRunning) throw new CliError(`schedule "${scheduleId}" already exists (delete it first)`, ExitCode.Failed);
    if (err instanceof BadInputError) throw new CliError(err.message, ExitCode.Usage);
    // The server refused the spec (a bad cron expression, time zone or duration): a usage error.
    const grpcCode = (err as { code?: number; cause?: { code?: number } }).cause?.code ?? (err as { code?: number }).code;
    if (grpcCode === 3) throw new CliError(`schedule "${scheduleId}": ${(err as Error).message}`, ExitCode.Usage);
    throw err;
  }
}

function printSchedule(s: WaveScheduleInfo): void {
  out(`${s.scheduleId}  wave ${s.waveId ?? '?'}  ${s.paused ? 'PAUSED' : 'active'}  cron ${s.cron.join(', ') || '-'} ${s.timezone ?? ''}`
    + `  next ${s.nextRuns[0] ?? '-'}${s.note ? `  note: ${s.note}` : ''}`);
  for (const r of s.recentRuns.slice(-3)) out(`    ran ${r.scheduledAt}  ${r.workflowId}`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSchedule(program: Command): void {
  const schedule = usageExitCodes(program.command('schedule'))
    .description('Nightly (cron) waves as Temporal Schedules: never two copies of a wave at once (overlap SKIP)')
    .addHelpText('after', `
Examples:
  $ tmig schedule create nightly-hotels --manifest hotels.yaml --cron "0 2 * * *" --timezone Europe/Berlin
  $ tmig schedule list
  $ tmig schedule trigger nightly-hotels      # run now (skipped if a run is still going)
  $ tmig schedule pause nightly-hotels --note "month-end freeze"
  $ tmig schedule unpause nightly-hotels
  $ tmig schedule delete nightly-hotels
  $ temporal schedule list                    # stock CLI
${EXIT_CODES_HELP}`);

  usageExitCodes(schedule.command('create'))
    .description('Create a schedule that starts migrationWave with a manifest\'s input')
    .argument('<scheduleId>', 'schedule id (letters, digits, _ . -)')
    .requiredOption('--manifest <file>', 'wave manifest (JSON or YAML), validated now')
    .option('--cron <expr>', `cron expression, repeatable (default "${DEFAULT_WAVE_CRON}")`, collect)
    .option('--timezone <tz>', 'IANA time zone for the cron', 'UTC')
    .option('--catchup-window <duration>', 'a fire missed while Temporal was down still runs if this late at most', DEFAULT_CATCHUP_WINDOW)
    .option('--paused', 'create it paused')
    .option('--note <text>', 'note shown with the schedule')
    .action(async (scheduleId: string, opts: { manifest: string; cron?: string[]; timezone: string; catchupWindow: string; paused?: boolean; note?: string }, cmd: Command) => {
      const wave = await scheduleOp(scheduleId, async () => loadWaveManifest(opts.manifest));
      await withClient(cmd, (client) => scheduleOp(scheduleId, () => createWaveSchedule(client, {
        scheduleId, wave, cron: opts.cron, timezone: opts.timezone, catchupWindow: opts.catchupWindow, paused: opts.paused, note: opts.note,
      })));
      out(`created schedule ${scheduleId}: wave ${wave.waveId} (${wave.tenants.length} tenants), cron ${(opts.cron ?? [DEFAULT_WAVE_CRON]).join(', ')} ${opts.timezone}`);
    });

  usageExitCodes(schedule.command('list'))
    .description('List wave schedules')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await withClient(cmd, (client) => listWaveSchedules(client));
      if (opts.json) outJson(list);
      else if (list.length === 0) out('no wave schedules');
      else list.forEach(printSchedule);
    });

  usageExitCodes(schedule.command('describe'))
    .description('Show one schedule, its next and recent runs, and any run still going')
    .argument('<scheduleId>')
    .option('--json', 'print JSON')
    .action(async (scheduleId: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await withClient(cmd, (client) => scheduleOp(scheduleId, () => describeWaveSchedule(client, scheduleId)));
      if (opts.json) outJson(d);
      else {
        printSchedule(d);
        for (const id of d.runningWorkflowIds) out(`    running ${id}`);
      }
    });

  const simple = (name: string, description: string, op: (client: Parameters<typeof deleteWaveSchedule>[0], id: string, note?: string) => Promise<void>, done: string, withNote = false) => {
    const c = usageExitCodes(schedule.command(name)).description(description).argument('<scheduleId>');
    if (withNote) c.option('--note <text>', 'why (shown with the schedule)');
    c.action(async (scheduleId: string, opts: { note?: string }, cmd: Command) => {
      await withClient(cmd, (client) => scheduleOp(scheduleId, () => op(client, scheduleId, opts.note)));
      out(`${done} schedule ${scheduleId}`);
    });
  };
  simple('pause', 'Pause a schedule (no new runs; a running wave goes on: use "tmig pause" for that)', pauseWaveSchedule, 'paused', true);
  simple('unpause', 'Unpause a schedule', unpauseWaveSchedule, 'unpaused', true);
  simple('trigger', 'Start the wave now (skipped if a run of it is still going)', triggerWaveSchedule, 'triggered');
  simple('delete', 'Delete a schedule (runs already started go on)', deleteWaveSchedule, 'deleted');
}
