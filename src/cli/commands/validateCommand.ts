import type { Command } from 'commander';
import { connectClient } from '../../temporal/connection';
import { TASK_QUEUE, WorkflowType } from '../../contract/names';
import type { DatabaseRef } from '../../contract/migration';
import type { ValidateMigrationInput, ValidateMigrationResult } from '../../contract/migration';
import { globalTarget } from '../temporalTarget';
import { usageExitCodes } from '../operator';

/** `server/database` -> DatabaseRef (the database name may itself contain slashes). */
export function parseDatabaseRef(text: string, flag: string): DatabaseRef {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw Object.assign(new Error(`${flag} must be <server>/<database> (a server name from the worker config), got "${text}"`), { exitCode: 2 });
  }
  return { server: text.slice(0, slash), database: text.slice(slash + 1) };
}

export function registerValidate(program: Command): void {
  usageExitCodes(program.command('validate'))
    .description('re-validate a migrated source/target pair (counts, chunk checksums, keys, FKs, types, sequences) and write reports')
    .requiredOption('--source <server/db>', 'source database, e.g. mssql-main/hotel123')
    .requiredOption('--target <server/db>', 'target database, e.g. pg-main/hotel123')
    .option('--mode <mode>', 'full (every chunk) or sample', 'full')
    .option('--sample-rate <rate>', 'share of chunks re-read in sample mode (and from the source in full mode)', '0.1')
    .option('--recheck', 're-read every chunk cold from the target (default: checksums read back when the chunks were written, plus an xmin census proving the rows unchanged since)')
    .option('--recheck-source', 're-read every chunk from the source too (default: a sample from the source)')
    .option('--report-keys', 'name key values in mismatch messages (they may be personal data)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit codes: 0 equal, 4 mismatch (details printed and in the report), 1 could not validate.\n\nExample:\n  tmig validate --source pg-old/hotel123 --target pg-new/hotel123 --mode sample')
    .action(async (opts: { source: string; target: string; mode: string; sampleRate: string; recheckSource?: boolean; recheck?: boolean; reportKeys?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.mode !== 'full' && opts.mode !== 'sample') throw Object.assign(new Error(`--mode must be full or sample, got ${opts.mode}`), { exitCode: 2 });
      const sampleRate = Number(opts.sampleRate);
      if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(opts.sampleRate) || !(sampleRate >= 0 && sampleRate <= 1)) {
        throw Object.assign(new Error(`--sample-rate must be a number from 0 to 1 (a share of chunks), got "${opts.sampleRate}"`), { exitCode: 2 });
      }
      const input: ValidateMigrationInput = {
        source: parseDatabaseRef(opts.source, '--source'), target: parseDatabaseRef(opts.target, '--target'),
        mode: opts.mode, sampleRate, recheckSource: opts.recheckSource, recheck: opts.recheck, reportKeys: opts.reportKeys,
      };
      const client = await connectClient(globalTarget(cmd));
      const workflowId = `validate-${input.target.server}-${input.target.database}-${Date.now()}`;
      const result = await client.workflow.execute(WorkflowType.validateMigration, { taskQueue: TASK_QUEUE, workflowId, args: [input] }) as ValidateMigrationResult;
      if (opts.json) {
        console.log(JSON.stringify(result, null, 2));
      } else {
        const v = result.validation;
        console.log(`${v.ok ? 'EQUAL' : 'MISMATCH'}: ${input.source.server}/${input.source.database} -> ${input.target.server}/${input.target.database} (${v.mode} mode, ${v.tables.length} tables, ${v.tables.reduce((s, t) => s + t.chunksVerified, 0)} chunks verified, ${v.tables.reduce((s, t) => s + (t.targetChunksReread ?? 0), 0)} re-read from the target)`);
        for (const f of v.findings.filter((x) => !x.ok)) console.log(`  ${f.check}: ${f.message}`);
        if (result.reportPath) console.log(`report: ${result.reportPath}`);
      }
      if (!result.validation.ok) process.exitCode = 4;
    });
}
