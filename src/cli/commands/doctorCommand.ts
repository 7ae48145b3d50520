/** `tmig doctor`: checks that this machine can run migrations and prints one line per finding. */
import type { Command } from 'commander';
import { doctorExitCode, runDoctor } from '../../doctor/runDoctor';
import type { CheckResult } from '../../doctor/checkResult';
import { CliError, ExitCode, out, outJson, usageExitCodes } from '../operator';

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export const DOCTOR_HELP = `
Checks, in order:
  config             the worker config (--config or MIGRATOR_CONFIG) parses; every passwordEnv is set
  server             each configured server accepts the configured login (the failing server is named)
  privileges         PostgreSQL: CREATEDB (targets); SQL Server: dbcreator (restores)
  online             PostgreSQL: wal_level=logical, replication slots and senders, REPLICATION role
                     (warnings; failures with --online)
  temporal           Temporal reachable with the resolved TLS / API key / profile; namespace exists
  search-attributes  TenantId, WaveId, MigrationPhase registered as Keyword
  workers            a worker polls the migrations and migrations-heavy task queues (warning)
  disk               workDir, reports and SQL Server backupDir writable, free space >= --min-free-gb
  tools              pg_dump installed and at least the major version of every PostgreSQL server;
                     bsdtar for .rar/.7z backups (warning)

Exit codes:
  0  every check passed (warnings allowed, unless --strict)
  1  at least one check failed (or warned, with --strict)
  2  usage error

Examples:
  MIGRATOR_CONFIG=config.yaml tmig doctor
  tmig doctor --config config.yaml --online --json
  TEMPORAL_ADDRESS=ns.acct.tmprl.cloud:7233 TEMPORAL_NAMESPACE=ns.acct TEMPORAL_API_KEY=... tmig doctor`;

export function registerDoctor(program: Command): void {
  usageExitCodes(program.command('doctor'))
    .description('check config, database servers, Temporal, search attributes, online-migration prerequisites, disk and tools')
    .option('--config <file>', 'worker config (default: MIGRATOR_CONFIG)')
    .option('--online', 'online migration is planned: its prerequisites fail instead of warn')
    .option('--min-free-gb <n>', 'warn when a work/backup/report directory has less free space', '10')
    .option('--skip-temporal', 'do not check Temporal (e.g. on a database host)')
    .option('--strict', 'warnings count as failures for the exit code')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', DOCTOR_HELP)
    .action(async (opts: { config?: string; online?: boolean; minFreeGb: string; skipTemporal?: boolean; strict?: boolean; json?: boolean }, cmd: Command) => {
      const minFreeGb = Number(opts.minFreeGb);
      if (!Number.isFinite(minFreeGb) || minFreeGb < 0) throw new CliError(`--min-free-gb must be a number >= 0, got "${opts.minFreeGb}"`, ExitCode.Usage);
      let root: Command = cmd;
      while (root.parent) root = root.parent;
      const g = root.opts<{ address?: string; namespace?: string }>();
      const fromCli = (name: string) => root.getOptionValueSource(name) === 'cli';
      const results = await runDoctor({
        configPath: opts.config ?? process.env.MIGRATOR_CONFIG,
        temporal: { address: fromCli('address') ? g.address : undefined, namespace: fromCli('namespace') ? g.namespace : undefined },
        online: opts.online, minFreeBytes: minFreeGb * 1024 ** 3, skipTemporal: opts.skipTemporal,
      });
      const code = doctorExitCode(results, opts.strict);
      if (opts.json) outJson({ ok: code === 0, results });
      else {
        for (const r of results) out(`${MARK[r.status]}  ${r.check.padEnd(17)} ${r.subject}: ${r.message}`);
        const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
        out(`\n${n('fail')} failed, ${n('warn')} warnings, ${n('ok')} ok, ${n('skip')} skipped`);
      }
      process.exitCode = code;
    });
}
