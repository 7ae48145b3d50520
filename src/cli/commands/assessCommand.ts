import type { Command } from 'commander';
import { BadInputError } from '../../contract/failures';
import { runAssessment } from '../../assess/assessment';
import { CliError, ExitCode, out } from '../operator';

/** `tmig assess <script.sql> --out <dir>`: offline conversion of a SQL Server DDL script. */
export function registerAssess(program: Command): void {
  program.command('assess')
    .description('Convert a SQL Server DDL script (SSMS "Generate Scripts") offline: writes schema.sql, report.json and summary.txt')
    .argument('<script>', 'T-SQL DDL script (UTF-8 or UTF-16 with BOM)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--lower-case-names', 'lower-case all identifiers', false)
    .option('--dbo-schema <name>', 'target schema for dbo', 'public')
    .action(async (script: string, opts: { out: string; lowerCaseNames: boolean; dboSchema: string }) => {
      try {
        const r = await runAssessment(script, opts.out, { lowerCaseNames: opts.lowerCaseNames, dboSchema: opts.dboSchema });
        const c = r.report.counts;
        out(`${c.tables} tables converted; ${c.unsupported} not converted, ${c.lossy} lossy, ${c.notMigrated} objects not migrated`);
        out(`wrote ${opts.out}/schema.sql, ${opts.out}/report.json, ${opts.out}/summary.txt`);
      } catch (err) {
        // A script that cannot be read is invalid input (2); anything else failed (1).
        const code = err instanceof BadInputError ? ExitCode.Usage : ExitCode.Failed;
        throw new CliError(`assess ${script}: ${(err as Error).message}`, code);
      }
    });
}
