import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { loadConfig } from '../../config/loadConfig';
import { locateReports } from '../../reports/locate';
import { readTenantReport, readWaveReport } from '../../reports/writeReports';
import { tenantSummaryText, waveSummaryText } from '../../reports/summaryText';
import { reportJsonSchema } from '../../reports/jsonSchema';
import { keptRuns, keptRunsText } from '../../reports/runHistory';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes } from '../operator';

/** The reports directory: --dir, else the worker config's reports.dir (MIGRATOR_CONFIG), else ./reports. */
function reportsDir(dir: string | undefined): string {
  if (dir) return dir;
  if (process.env.MIGRATOR_CONFIG) return loadConfig().reports.dir;
  return 'reports';
}

/** Opens a file with the desktop's default application; failure is reported, not fatal. */
function openInBrowser(path: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [path]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', path]] : ['xdg-open', [path]];
  const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => process.stderr.write(`tmig: cannot open ${path} with ${cmd}: ${err.message}\n`));
  child.unref();
}

export async function showReport(ref: string, opts: { dir?: string; open?: boolean; json?: boolean; schema?: boolean }): Promise<void> {
  if (opts.schema) {
    if (ref !== 'tenant' && ref !== 'wave') throw new CliError('--schema takes "tenant" or "wave" as the id', ExitCode.Usage);
    outJson(reportJsonSchema(ref));
    return;
  }
  const dir = reportsDir(opts.dir);
  const found = locateReports(dir, ref);
  if (found.length === 0) {
    throw new CliError(`no report for "${ref}" in ${dir} (looked for tenants/${ref}/report.json and waves/${ref}/wave.json)`, ExitCode.NotFound);
  }
  let failed = false;
  const docs: unknown[] = [];
  for (const f of found) {
    if (f.kind === 'tenant') {
      const r = await readTenantReport(f.json);
      failed ||= r.verdict === 'failed';
      if (opts.json) docs.push(r); else out([tenantSummaryText(r, f), ...keptRunsText(keptRuns(f.json), r.generatedAt)].join('\n'));
    } else {
      const r = await readWaveReport(f.json);
      failed ||= r.verdict === 'failed';
      if (opts.json) docs.push(r); else out([waveSummaryText(r, f), ...keptRunsText(keptRuns(f.json), r.generatedAt)].join('\n'));
    }
    if (opts.open) openInBrowser(f.html);
  }
  if (opts.json) outJson(docs.length === 1 ? docs[0] : docs);
  if (failed) process.exitCode = ExitCode.MigrationFailed;
}

export function registerReport(program: Command): void {
  usageExitCodes(program.command('report'))
    .description('Show the latest tenant or wave report (verdict, counts, failures, where the JSON/HTML files are) and list earlier runs')
    .argument('<id>', 'tenant id or wave id (or the workflow id tenant-<id> / wave-<id>)')
    .option('--dir <dir>', 'reports directory (default: reports.dir of MIGRATOR_CONFIG, else ./reports)')
    .option('--open', 'open the HTML report in the default browser')
    .option('--json', 'print the JSON report instead of the summary')
    .option('--schema', 'print the JSON Schema of the report files: tmig report tenant|wave --schema')
    .addHelpText('after', `
Examples:
  $ tmig report hotel123                 # tenant report summary
  $ tmig report nightly-2026-11-21 --open
  $ tmig report hotel123 --json | jq .summary
  $ tmig report tenant --schema > tenant-report.v1.schema.json
${EXIT_CODES_HELP}`)
    .action(async (id: string, opts: { dir?: string; open?: boolean; json?: boolean; schema?: boolean }) => showReport(id, opts));
}
