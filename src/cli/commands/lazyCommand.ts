/** `tmig lazy plan|start|status|advance|rollback`: the operator side of the lazy MongoDB -> MySQL migration. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import {
  advanceUpdate, LAZY_MIGRATION_WORKFLOW, lazyMigrationWorkflowId, lazyStatusQuery, rollbackUpdate, STAGE_NAMES, type LazyMigrationInput, type LazyStatus,
} from '../../contract/lazyMigration';
import { TASK_QUEUE } from '../../contract/names';
import { innermostMessage } from '../../contract/innermostMessage';
import { parseLazyPlan } from '../../contract/lazyPlan';
import { proposePlan } from '../../lazy/proposePlan';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, parsePositiveInt, usageExitCodes, withClient } from '../operator';

function serverDatabase(value: string, what: string): { server: string; database: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([^/]+)$/.exec(value);
  if (!m) throw new CliError(`${what} must be <server>/<database> (a server name from the worker config), got ${value}`, ExitCode.Usage);
  return { server: m[1]!, database: m[2]! };
}

function printStatus(s: LazyStatus): void {
  out(`service ${s.service}: stage ${s.stage} (${s.stageName})${s.done ? ', finished' : ''}`);
  if (s.stage === 2) out(`  every writer in dual write: ${s.dualConfirmed ? 'yes' : 'not yet'}`);
  for (const b of s.backfill) out(`  backfill ${b.collection}: read ${b.docsRead}, copied ${b.docsCopied}, skipped ${b.docsSkipped}, rejected ${b.docsRejected}${b.done ? ' (done)' : ''}`);
  for (const c of s.counts) out(`  ${c.collection}: lazily ${c.lazily}, dual-written ${c.dualWritten}, by backfill ${c.byBackfill}, by the application ${c.byApplication}, rejected ${c.rejected}`);
  if (s.validation) {
    out(`  validation: ${s.validation.passed ? 'passed' : 'FAILED'}`);
    for (const c of s.validation.collections) {
      out(`    ${c.collection}: mongo ${c.mongoDocuments}, mysql ${c.mysqlRows}, matched ${c.matched}, app-owned ${c.appOwned}, rejected ${c.rejected}, mismatches ${c.mismatchCount}`);
      for (const m of c.mismatches.slice(0, 10)) out(`      _id ${m._id}: ${m.problem}`);
    }
  }
  for (const a of s.cleanup ?? []) out(`  archived ${a.collection}: ${a.documents} documents -> ${a.file}; dropped`);
  if (s.lastError) out(`  last error: ${s.lastError}`);
}

async function runUpdate(client: Client, service: string, fn: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<LazyStatus>): Promise<LazyStatus> {
  try {
    return await fn(client.workflow.getHandle(lazyMigrationWorkflowId(service)));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CliError(`refused: ${innermostMessage(err)}`, ExitCode.Failed);
    const e = err as Error;
    if (e.name === 'WorkflowNotFoundError') throw new CliError(`no lazy migration for service ${service}`, ExitCode.NotFound);
    throw new CliError(innermostMessage(e), ExitCode.Failed);
  }
}

export function registerLazy(program: Command): void {
  const lazy = program.command('lazy').description('Lazy, zero-downtime migration of an application from MongoDB to MySQL (five stages)');

  usageExitCodes(lazy.command('plan'))
    .description('Sample each collection and propose a mapping plan (YAML), reporting mixed types, rare fields and values that would not fit')
    .requiredOption('--source <url>', 'mongodb://host:port/<database>')
    .option('--out <file>', 'write the plan here (default: stdout)')
    .option('--sample <n>', 'documents sampled per collection', '1000')
    .option('--nested <mode>', 'nested objects: flatten (columns) or json (one JSON column)', 'flatten')
    .option('--rare <share>', 'report fields present in fewer than this share of documents', '0.05')
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { source: string; out?: string; sample: string; nested: string; rare: string; json?: boolean }) => {
      if (opts.nested !== 'flatten' && opts.nested !== 'json') throw new CliError('--nested must be flatten or json', ExitCode.Usage);
      const { plan, findings, sampled } = await proposePlan({
        source: opts.source, sampleSize: parsePositiveInt(opts.sample, '--sample', 1), nested: opts.nested, rareBelow: Number(opts.rare),
      });
      const yaml = `# tmig lazy plan: review before use (the plan is the contract; non-fitting documents go to <table>__rejects)\n${toYaml(plan)}`;
      if (opts.out) writeFileSync(opts.out, yaml);
      else out(yaml);
      if (opts.json) return outJson({ sampled, findings });
      const log = opts.out ? out : (t: string) => process.stderr.write(`${t}\n`);
      log(`sampled: ${Object.entries(sampled).map(([c, n]) => `${c} ${n}`).join(', ')}`);
      for (const f of findings) log(`  ${f.collection}.${f.path}: ${f.kind}: ${f.detail} [${f.count} of ${f.sampled}]`);
      if (findings.length === 0) log('  no findings');
    });

  usageExitCodes(lazy.command('start'))
    .description('Start the lazyMigration workflow of a service (stage 1, legacy); creates the MySQL tables from the plan')
    .requiredOption('--service <id>', 'service (tenant) id')
    .requiredOption('--mongo <server/db>', 'MongoDB server name (worker config) and database')
    .requiredOption('--mysql <server/db>', 'MySQL server name (worker config) and database')
    .requiredOption('--plan <file>', 'the reviewed plan (YAML or JSON)')
    .option('--stage-ttl <ms>', 'the applications\' stage cache TTL', '2000')
    .option('--chunk-size <n>', 'backfill documents per transaction', '1000')
    .option('--chunk-delay <ms>', 'backfill throttle: pause after each chunk', '0')
    .action(async (opts: { service: string; mongo: string; mysql: string; plan: string; stageTtl: string; chunkSize: string; chunkDelay: string }, cmd: Command) => {
      let plan;
      try {
        plan = parseLazyPlan(parseYaml(readFileSync(opts.plan, 'utf8')), opts.plan);
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.Usage);
      }
      const input: LazyMigrationInput = {
        service: opts.service, mongo: serverDatabase(opts.mongo, '--mongo'), mysql: serverDatabase(opts.mysql, '--mysql'), plan,
        stageTtlMs: parsePositiveInt(opts.stageTtl, '--stage-ttl'), chunkSize: parsePositiveInt(opts.chunkSize, '--chunk-size', 1),
        chunkDelayMs: parsePositiveInt(opts.chunkDelay, '--chunk-delay'),
      };
      await withClient(cmd.parent!, async (client) => {
        const h = await client.workflow.start(LAZY_MIGRATION_WORKFLOW, { taskQueue: TASK_QUEUE, workflowId: lazyMigrationWorkflowId(opts.service), args: [input] });
        out(`started ${h.workflowId}`);
      });
    });

  usageExitCodes(lazy.command('status'))
    .description('Show the stage, backfill progress, validation and how documents reached MySQL')
    .requiredOption('--service <id>', 'service (tenant) id')
    .option('--json', 'print JSON')
    .action(async (opts: { service: string; json?: boolean }, cmd: Command) => {
      await withClient(cmd.parent!, async (client) => {
        let s: LazyStatus;
        try {
          s = await client.workflow.getHandle(lazyMigrationWorkflowId(opts.service)).query(lazyStatusQuery);
        } catch (err) {
          throw new CliError(`no lazy migration for service ${opts.service}: ${(err as Error).message}`, ExitCode.NotFound);
        }
        if (opts.json) outJson(s);
        else printStatus(s);
      });
    });

  usageExitCodes(lazy.command('advance'))
    .description('Move to the next stage; refused (exit 1) unless its precondition holds')
    .requiredOption('--service <id>', 'service (tenant) id')
    .option('--to <stage>', 'the next stage (number or name); default: the next one')
    .option('--confirm', 'needed for cleanup (stage 5): drops the MongoDB collections after archiving them')
    .addHelpText('after', `\nStages: ${STAGE_NAMES.slice(1).map((n, i) => `${i + 1} ${n}`).join(', ')}\n${EXIT_CODES_HELP}`)
    .action(async (opts: { service: string; to?: string; confirm?: boolean }, cmd: Command) => {
      await withClient(cmd.parent!, async (client) => {
        let to: number;
        if (opts.to === undefined) {
          to = (await client.workflow.getHandle(lazyMigrationWorkflowId(opts.service)).query(lazyStatusQuery)).stage + 1;
        } else {
          to = /^\d+$/.test(opts.to) ? Number(opts.to) : STAGE_NAMES.indexOf(opts.to as (typeof STAGE_NAMES)[number]);
          if (!(to >= 1 && to <= 5)) throw new CliError(`--to must be 1-5 or ${STAGE_NAMES.slice(1).join('|')}`, ExitCode.Usage);
        }
        const s = await runUpdate(client, opts.service, (h) => h.executeUpdate(advanceUpdate, { args: [{ to, confirm: !!opts.confirm }] }));
        printStatus(s);
      });
    });

  usageExitCodes(lazy.command('rollback'))
    .description('Go back to the previous stage (allowed up to, not including, cleanup)')
    .requiredOption('--service <id>', 'service (tenant) id')
    .action(async (opts: { service: string }, cmd: Command) => {
      await withClient(cmd.parent!, async (client) => {
        const s = await runUpdate(client, opts.service, (h) => h.executeUpdate(rollbackUpdate, { args: [] }));
        printStatus(s);
      });
    });
}
