import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadConfig } from '../../config/loadConfig';
import { formatZodError } from '../../contract/formatZodError';
import { WaveIdKey } from '../../contract/searchAttributes';
import type { MigrationWaveResult, MigrationOptions } from '../../contract/migration';
import { optionsSchema } from '../../contract/manifestSchema';
import { discoverPlan, checkPlan, SplitPlanError } from '../../split/discoverPlan';
import { splitPlanSchema, type SplitPlan } from '../../contract/splitPlan';
import { openSharedSource } from '../../split/sharedSource';
import { accountSource, checkTargets } from '../../split/accounting';
import { splitWaveManifests } from '../../split/waveManifests';
import { countTargetTables } from '../../split/targetCounts';
import { sliceScanWarnings } from '../../split/indexAdvice';
import { CliError, ExitCode, out, parsePositiveInt, usageExitCodes, withClient } from '../operator';
import { parseDatabaseRef } from './validateCommand';
import { TASK_QUEUE, waveWorkflowId } from '../../contract/names';

/** `tmig split plan` and `tmig split wave`: review a discovered split plan, then cut a shared database into tenant waves. */

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** Reads a plan file (JSON or YAML, as `split plan` prints it; its `review` section is ignored). */
export function readPlan(path: string): SplitPlan {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(`plan ${path}: ${(err as Error).message}`, ExitCode.Usage);
  }
  const { review: _review, ...rest } = (raw ?? {}) as Record<string, unknown>;
  const parsed = splitPlanSchema.safeParse(rest);
  if (!parsed.success) throw new CliError(`plan ${path}: ${formatZodError(parsed.error)}`, ExitCode.Usage);
  return parsed.data;
}

export function registerSplit(program: Command): void {
  const split = program.command('split').description('split one shared multi-tenant database into one database per tenant');

  usageExitCodes(split.command('plan'))
    .description('discover the split plan of a shared database from its catalog and print it for review')
    .requiredOption('--source <server/db>', 'the shared database, e.g. mssql-main/elearning')
    .requiredOption('--column <name>', 'the tenant column, e.g. ClientId')
    .option('--rooted <table=column...>', 'a table whose tenant column has another name (repeatable)')
    .option('--shared <tables>', 'comma-separated tables copied whole to every tenant')
    .option('--exclude <tables>', 'comma-separated tables not copied')
    .option('--format <format>', 'yaml or json', 'yaml')
    .addHelpText('after', '\nExit codes: 0 every table placed, 1 a table cannot be placed (named; the plan is printed for review), 2 usage.\n\nExample:\n  tmig split plan --source mssql-main/elearning --column ClientId > plan.yaml')
    .action(async (opts: { source: string; column: string; rooted?: string[]; shared?: string; exclude?: string; format: string }) => {
      if (opts.format !== 'yaml' && opts.format !== 'json') throw new CliError(`--format must be yaml or json, got ${opts.format}`, ExitCode.Usage);
      const rooted: Record<string, string> = {};
      for (const r of opts.rooted ?? []) {
        const eq = r.lastIndexOf('=');
        if (eq <= 0) throw new CliError(`--rooted must be <schema.table>=<column>, got "${r}"`, ExitCode.Usage);
        rooted[r.slice(0, eq)] = r.slice(eq + 1);
      }
      const src = await openSharedSource(loadConfig(), parseDatabaseRef(opts.source, '--source'));
      try {
        const model = await src.describe();
        const found = discoverPlan(model, opts.column, { rooted, shared: list(opts.shared), excluded: list(opts.exclude) });
        // Tables each slice would scan for want of an index (only for a plan that places every table).
        const scans = found.unplaceable.length ? [] : sliceScanWarnings(model, found.plan);
        const doc = { ...found.plan, review: {
          scans: scans.map((w) => ({ table: w.table, column: w.column, for: w.for, createIndex: w.createIndex })),
          roots: found.roots, sharedDiscovered: found.sharedDiscovered, unplaceable: found.unplaceable, cycles: found.cycles,
          multiplePaths: found.multiplePaths.map((m) => ({ table: m.table, paths: m.paths.map((p) => p.steps.map((s) => `${s.from}(${s.columns.join(',')}) -> ${s.to}(${s.refColumns.join(',')})`).join(' / ')) })),
        } };
        out(opts.format === 'json' ? JSON.stringify(doc, null, 2) : toYaml(doc));
        for (const w of scans) process.stderr.write(`warning: ${w.message}${w.for.some((f) => f !== w.table) ? ` (for ${w.for.join(', ')})` : ''}; fix: ${w.createIndex}\n`);
        if (found.unplaceable.length) throw new CliError(`cannot place table ${found.unplaceable.join(', ')}: declare it with --rooted, --shared or --exclude (or in the plan file)`, ExitCode.Failed);
      } catch (err) {
        if (err instanceof SplitPlanError) throw new CliError(err.message, ExitCode.Usage);
        throw err;
      } finally {
        await src.close();
      }
    });

  usageExitCodes(split.command('wave'))
    .description('account for every row of the shared database, then write (or start) wave manifests of tenant slices')
    .requiredOption('--plan <file>', 'split plan (YAML or JSON, as `tmig split plan` prints it)')
    .requiredOption('--source <server/db>', 'the shared database')
    .requiredOption('--tenants-from <sql>', 'query on the source listing the tenant key values (first column)')
    .requiredOption('--target-server <name>', 'target server name from the worker config')
    .option('--target-database <template>', 'target database name; {tenant} is the tenant key value', 'tenant_{tenant}')
    .option('--phase-size <n>', 'tenants per wave manifest', '50')
    .option('--wave-prefix <id>', 'wave ids are <prefix>-phase-NN', 'split')
    .option('--options <json>', 'wave options as JSON, e.g. {"maxConcurrentTenants":8}')
    .option('--out <dir>', 'where manifests and the accounting are written', '.')
    .option('--start', 'start the phases one after the other, wait for each, then check every target against the accounting')
    .addHelpText('after', '\nExit codes: 0 ok, 2 usage or a bad plan (named), 4 rows the plan does not cover (no tenant, unknown tenant, two tenants) or a failed wave.\n\nExample:\n  tmig split wave --plan plan.yaml --source mssql-main/elearning --tenants-from "SELECT DISTINCT ClientId FROM dbo.Clients" \\\n    --target-server pg-main --phase-size 50 --start')
    .action(async (opts: { plan: string; source: string; tenantsFrom: string; targetServer: string; targetDatabase: string; phaseSize: string; wavePrefix: string; options?: string; out: string; start?: boolean }, cmd: Command) => {
      const plan = readPlan(opts.plan);
      const phaseSize = parsePositiveInt(opts.phaseSize, '--phase-size', 1);
      let options: MigrationOptions | undefined;
      if (opts.options) {
        const parsed = optionsSchema.safeParse(JSON.parse(opts.options));
        if (!parsed.success) throw new CliError(`--options: ${formatZodError(parsed.error)}`, ExitCode.Usage);
        options = parsed.data;
      }
      const config = loadConfig();
      const source = parseDatabaseRef(opts.source, '--source');
      const src = await openSharedSource(config, source);
      let accounting;
      let tenants: string[];
      try {
        const model = await src.describe();
        try {
          checkPlan(model, plan);
        } catch (err) {
          if (err instanceof SplitPlanError) throw new CliError(`plan ${opts.plan}: ${err.message}`, ExitCode.Usage);
          throw err;
        }
        tenants = (await src.query(opts.tenantsFrom)).map((r) => String(Object.values(r)[0]));
        accounting = await accountSource(src.query, src.dialect, model, plan, tenants);
      } finally {
        await src.close();
      }
      mkdirSync(opts.out, { recursive: true });
      const accountingPath = join(opts.out, `${opts.wavePrefix}-accounting.json`);
      writeFileSync(accountingPath, JSON.stringify(accounting, null, 2));
      for (const w of accounting.warnings) out(`reported (the plan lets it through): ${w}`);
      if (accounting.failures.length) {
        for (const f of accounting.failures) out(`REFUSED: ${f}`);
        throw new CliError(`split wave refused: ${accounting.failures.length} problems the plan does not cover (set onOrphans/onTwoTenants: skip to leave such rows behind); counts in ${accountingPath}`, ExitCode.MigrationFailed);
      }
      const waves = splitWaveManifests({ wavePrefix: opts.wavePrefix, source, targetServer: opts.targetServer, targetDatabase: opts.targetDatabase, plan, tenants, phaseSize, options });
      for (const w of waves) writeFileSync(join(opts.out, `${w.waveId}.json`), JSON.stringify(w, null, 2));
      out(`${tenants.length} tenants in ${waves.length} waves: ${waves.map((w) => join(opts.out, `${w.waveId}.json`)).join(', ')}; accounting in ${accountingPath}`);
      if (!opts.start) return;
      let failed = 0;
      await withClient(cmd, async (client) => {
        for (const w of waves) {
          const result = await client.workflow.execute('migrationWave', { workflowId: waveWorkflowId(w.waveId), taskQueue: TASK_QUEUE, args: [w],
            typedSearchAttributes: [{ key: WaveIdKey, value: w.waveId }] }) as MigrationWaveResult;
          out(`wave ${w.waveId}: ${result.succeeded.length} succeeded, ${result.failed.length} failed`);
          for (const f of result.failed) out(`  FAILED ${f.tenantId}: ${f.error}`);
          failed += result.failed.length;
          // The wave's own accounting (the same proof a wave started from the Temporal UI carries).
          for (const a of result.splitAccounting ?? []) {
            out(`wave ${w.waveId}: split accounting ${a.complete ? 'complete' : `INCOMPLETE: ${a.failures.slice(0, 3).join('; ')}`}${a.reportPath ? ` (${a.reportPath})` : ''}`);
            if (!a.complete) failed++;
          }
        }
      });
      // The wave accounting: every target holds exactly its slice, every shared table whole.
      const counts = await countTargetTables(config, waves.flatMap((w) => w.tenants.map((t) => ({ tenant: t.source.split!.tenantKey.value, target: t.target }))));
      const problems = checkTargets(accounting, counts);
      const reportDir = join(config.reports.dir, 'waves', opts.wavePrefix);
      mkdirSync(reportDir, { recursive: true });
      writeFileSync(join(reportDir, 'split-accounting.json'), JSON.stringify({ ...accounting, targetProblems: problems }, null, 2));
      for (const p of problems) out(`MISMATCH: ${p}`);
      out(`split accounting: ${problems.length ? 'DOES NOT ADD UP' : 'every row accounted for'} (${join(reportDir, 'split-accounting.json')})`);
      if (failed || problems.length) process.exitCode = ExitCode.MigrationFailed;
    });
}
