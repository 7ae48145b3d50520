import type { Command } from 'commander';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TASK_QUEUE, WorkflowType } from '../../contract/names';
import { loadConfig } from '../../config/loadConfig';
import { compileTenantPattern } from '../../intake/backupKeys';
import { startTenantMigration } from '../../intake/startMigration';
import type { IntakePlan, IntakeScanInput, IntakeScanTotals } from '../../contract/backupIntake';
import type { MigrationOptions } from '../../contract/migration';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes, withClient } from '../operator';

interface PlanOpts {
  pattern: string;
  sourceServer: string;
  targetServer: string;
  databaseTemplate: string;
  restoreTemplate?: string;
  options?: string;
  waveId?: string;
}

interface ScanOpts extends PlanOpts {
  bucket: string;
  prefix: string;
}

function addPlanOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--pattern <regex>', 'regular expression over the key with a named group "tenant", e.g. "^(?<tenant>[^/]+)/"')
    .requiredOption('--source-server <name>', 'SQL Server (worker config name, with backupDir) that restores the backups')
    .requiredOption('--target-server <name>', 'PostgreSQL server (worker config name) that receives the tenants')
    .option('--database-template <template>', 'target database name, {tenant} replaced', 'tenant_{tenant}')
    .option('--restore-template <template>', 'name the backup is restored under on the source, {tenant} replaced', 'restore_{tenant}')
    .option('--options <json>', 'MigrationOptions as JSON, passed to every tenantMigration')
    .option('--wave-id <id>', 'wave id recorded on the started migrations');
}

function planFrom(opts: PlanOpts): IntakePlan {
  try {
    compileTenantPattern(opts.pattern);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
  if (!opts.databaseTemplate.includes('{tenant}')) throw new CliError('--database-template must contain {tenant}', ExitCode.Usage);
  let options: MigrationOptions | undefined;
  if (opts.options) {
    try {
      options = JSON.parse(opts.options) as MigrationOptions;
    } catch (err) {
      throw new CliError(`--options is not JSON: ${(err as Error).message}`, ExitCode.Usage);
    }
  }
  return {
    source: { server: opts.sourceServer },
    target: { server: opts.targetServer, databaseTemplate: opts.databaseTemplate },
    restoreDatabaseTemplate: opts.restoreTemplate, options, waveId: opts.waveId,
  };
}

function scanInput(opts: ScanOpts): IntakeScanInput {
  return { bucket: opts.bucket, prefix: opts.prefix, tenantPattern: opts.pattern, ...planFrom(opts) };
}

function printTotals(t: IntakeScanTotals): void {
  out(`listed ${t.listed} keys: ${t.matched} backups, ${t.started} migrations started, ${t.alreadyStarted} already started, ${t.ignored} keys passed over`);
  for (const id of t.startedIds) out(`  started ${id}`);
}

async function upsertSchedule(client: Client, scheduleId: string, every: string | undefined, cron: string | undefined, input: IntakeScanInput): Promise<'created' | 'updated'> {
  const spec = cron ? { cronExpressions: [cron] } : { intervals: [{ every: (every ?? '15 minutes') as '15 minutes' }] };
  const action = { type: 'startWorkflow' as const, workflowType: WorkflowType.intakeScan, taskQueue: TASK_QUEUE, args: [input], workflowId: `intake-${scheduleId}` };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
    return 'updated';
  }
}

export function registerIntake(program: Command): void {
  const intake = usageExitCodes(program.command('intake'))
    .description('Start tenant migrations from backups uploaded to S3: bucket scans (on a schedule) or S3 event notifications via SQS')
    .addHelpText('after', `
Examples:
  $ tmig intake scan --bucket backups --pattern "^(?<tenant>[^/]+)/" --source-server mssql-restore --target-server pg-main --wait
  $ tmig intake schedule backups-every-15m --every 15m --bucket backups --pattern "^(?<tenant>[^/]+)/" \\
      --source-server mssql-restore --target-server pg-main
  $ tmig intake sqs --queue-url https://sqs.../backup-uploads --dead-letter-dir ./dead-letter \\
      --pattern "^(?<tenant>[^/]+)/" --source-server mssql-restore --target-server pg-main
Each upload (tenant + key + ETag) starts its tenantMigration once: workflow id tenant-<tenant>-<hash>.
${EXIT_CODES_HELP}`);

  addPlanOptions(usageExitCodes(intake.command('scan'))
    .description('Run one intakeScan workflow now')
    .requiredOption('--bucket <name>', 'bucket to list')
    .option('--prefix <prefix>', 'key prefix to list', '')
    .option('--wait', 'wait for the scan and print what it started'))
    .action(async (opts: ScanOpts & { wait?: boolean }, cmd: Command) => {
      const input = scanInput(opts);
      await withClient(cmd, async (client) => {
        const handle = await client.workflow.start('intakeScan', {
          workflowId: `intake-scan-${opts.bucket}-${new Date().toISOString().replace(/[:.]/g, '-')}`, taskQueue: TASK_QUEUE, args: [input],
        });
        out(`started intake scan of s3://${opts.bucket}/${opts.prefix}: workflow ${handle.workflowId}`);
        if (opts.wait) printTotals(await handle.result() as IntakeScanTotals);
      });
    });

  addPlanOptions(usageExitCodes(intake.command('schedule'))
    .description('Create or update a Temporal Schedule that runs intakeScan (overlap SKIP)')
    .argument('<scheduleId>', 'schedule id')
    .requiredOption('--bucket <name>', 'bucket to list')
    .option('--prefix <prefix>', 'key prefix to list', '')
    .option('--every <duration>', 'interval, e.g. 15m, 1h (default 15m)')
    .option('--cron <expr>', 'cron expression instead of --every'))
    .action(async (scheduleId: string, opts: ScanOpts & { every?: string; cron?: string }, cmd: Command) => {
      if (!/^[A-Za-z0-9_.-]{1,200}$/.test(scheduleId)) throw new CliError(`schedule id "${scheduleId}": use letters, digits, _ . -`, ExitCode.Usage);
      const input = scanInput(opts);
      const what = await withClient(cmd, (client) => upsertSchedule(client, scheduleId, opts.every, opts.cron, input));
      out(`${what} schedule ${scheduleId}: intakeScan of s3://${opts.bucket}/${opts.prefix} ${opts.cron ? `cron ${opts.cron}` : `every ${opts.every ?? '15m'}`}`);
    });

  addPlanOptions(usageExitCodes(intake.command('sqs'))
    .description('Consume S3 event notifications from an SQS queue (long polling) until interrupted')
    .requiredOption('--queue-url <url>', 'queue receiving s3:ObjectCreated:* notifications')
    .option('--dead-letter-queue-url <url>', 'queue for malformed messages')
    .option('--dead-letter-dir <dir>', 'directory for malformed messages (JSON files) instead of a queue')
    .option('--sqs-endpoint <url>', 'SQS endpoint (S3-compatible setups); default AWS')
    .option('--region <region>', 'SQS region (default: worker config s3.region, AWS_REGION or us-east-1)')
    .option('--once', 'one long poll, print counts as JSON and exit'))
    .action(async (opts: PlanOpts & { queueUrl: string; deadLetterQueueUrl?: string; deadLetterDir?: string; sqsEndpoint?: string; region?: string; once?: boolean }, cmd: Command) => {
      const plan = planFrom(opts);
      if (!opts.deadLetterQueueUrl === !opts.deadLetterDir) {
        throw new CliError('give exactly one of --dead-letter-queue-url or --dead-letter-dir', ExitCode.Usage);
      }
      const config = process.env.MIGRATOR_CONFIG ? loadConfig() : undefined;
      // Loaded here, not at the top: the AWS SDK would slow every other tmig command's start.
      const [{ SQSClient }, { credentialsFromEnv }, { SqsIntakeConsumer }] = await Promise.all([
        import('@aws-sdk/client-sqs'), import('../../storage/s3Client'), import('../../intake/sqsConsumer')]);
      const sqs = new SQSClient({
        endpoint: opts.sqsEndpoint, region: opts.region ?? config?.s3?.region ?? process.env.AWS_REGION ?? 'us-east-1',
        credentials: credentialsFromEnv(config?.s3),
      });
      await withClient(cmd, async (client) => {
        const consumer = new SqsIntakeConsumer({
          sqs, queueUrl: opts.queueUrl, tenantPattern: opts.pattern,
          deadLetter: opts.deadLetterQueueUrl ? { queueUrl: opts.deadLetterQueueUrl } : { dir: opts.deadLetterDir! },
          start: (obj) => startTenantMigration(client, obj, plan),
        });
        if (opts.once) {
          outJson(await consumer.pollOnce());
          return;
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        out(`consuming ${opts.queueUrl} (Ctrl-C to stop)`);
        await consumer.run(stop.signal);
      });
    });
}
