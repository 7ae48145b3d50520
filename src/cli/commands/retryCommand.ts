import type { Command } from 'commander';
import { retryIntakeMigration, RetryRefused } from '../../intake/retryMigration';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes, withClient } from '../operator';

export function registerRetry(program: Command): void {
  usageExitCodes(program.command('retry'))
    .description('Start a new run of a failed intake migration (same workflow id and input; the failed run keeps its history)')
    .argument('<workflowId>', 'the failed migration\'s workflow id, e.g. tenant-hotel7-3f2a9c01b2d4 (named in its error)')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', `
Examples:
  $ tmig retry tenant-hotel7-3f2a9c01b2d4
  $ temporal workflow show -w tenant-hotel7-3f2a9c01b2d4 -r <failed run id>   # the failed run, still there
Intake starts each upload once (REJECT_DUPLICATE), so a failed one (for example a multi-volume set
whose missing volumes arrived late) is not restarted by a new scan: this command restarts it.
${EXIT_CODES_HELP}`)
    .action(async (workflowId: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        let res;
        try {
          res = await retryIntakeMigration(client, workflowId);
        } catch (err) {
          if (err instanceof RetryRefused) {
            throw new CliError(err.message, err.kind === 'not-found' ? ExitCode.NotFound : err.kind === 'usage' ? ExitCode.Usage : ExitCode.Failed);
          }
          throw err;
        }
        if (opts.json) outJson(res);
        else out(`started a new run of ${res.workflowId} (tenant ${res.tenantId}, run ${res.runId}); `
          + `the ${res.failedStatus.toLowerCase()} run ${res.failedRunId} keeps its history`);
      });
    });
}
