import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerIntake } from '../../src/cli/commands/intakeCommand';
import { TASK_QUEUE } from '../../src/contract/names';
import { createIntakeActivities } from '../../src/activities/intakeBackups';
import { intakeWorkflowId, normalizeEtag } from '../../src/intake/backupKeys';
import { SqsIntakeConsumer, type PollStats } from '../../src/intake/sqsConsumer';
import { startTenantMigration } from '../../src/intake/startMigration';
import type { IntakePlan, IntakeScanInput, IntakeScanTotals } from '../../src/contract/backupIntake';
import type { TenantMigrationInput } from '../../src/contract/migration';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';
import { fakeBackup, zipBuffer } from '../helpers/fixtureArchives';
import { minioPath, startMinio, type MinioServer } from '../helpers/minio';

const temporalPath = process.env.TEMPORAL_CLI_PATH ?? join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal');
const haveTools = existsSync(temporalPath) && !!minioPath();
if (!haveTools) console.warn(`SKIPPING intake scan/SQS tests: need the Temporal CLI at ${temporalPath} and MinIO in the tool cache (npm run setup)`);

let fauxqs: typeof import('fauxqs') | undefined;

const bucket = 'uploads';
const pattern = '^(?<tenant>[^/]+)/';
const plan: IntakePlan = {
  source: { server: 'mssql-restore' },
  target: { server: 'pg-main', databaseTemplate: 'tenant_{tenant}' },
  options: { validation: 'full' },
};

describe.skipIf(!haveTools)('intake against real Temporal + MinIO', () => {
  let env: TestWorkflowEnvironment;
  let minio: MinioServer;
  let s3: S3Client;
  let worker: Worker;
  let running: Promise<void>;

  const put = async (key: string, body: Buffer) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return normalizeEtag((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag);
  };
  const zipWithBak = (seed: number) => zipBuffer([{ name: 'db.bak', data: fakeBackup(2048, seed), deflate: true }]);
  const scan = (extra: Partial<IntakeScanInput> = {}) => env.client.workflow.execute('intakeScan', {
    workflowId: `scan-${Math.random().toString(36).slice(2)}`, taskQueue: TASK_QUEUE,
    args: [{ bucket, prefix: '', tenantPattern: pattern, ...plan, ...extra } satisfies IntakeScanInput],
  }) as Promise<IntakeScanTotals>;
  /** tenantMigration executions as the server's visibility store sees them (eventually consistent: wait for `expected`). */
  const migrations = async (expected: number) => {
    let ids: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      ids = [];
      for await (const w of env.client.workflow.list({ query: "WorkflowType = 'tenantMigration'" })) ids.push(w.workflowId);
      if (ids.length >= expected) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return ids.sort();
  };

  beforeAll(async () => {
    [env, minio] = await Promise.all([
      TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalPath }, searchAttributes: ALL_SEARCH_ATTRIBUTES } }),
      startMinio(),
    ]);
    s3 = minio.client();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath: join(__dirname, 'workflows.ts'),
      activities: createIntakeActivities({ s3: () => s3 }),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
    await minio?.stop();
  });

  let hotel1First: string;

  it('a scan twice over the same bucket starts each upload exactly once', async () => {
    const etag1 = await put('hotel1/NEXT70_20260202.zip', zipWithBak(1));
    await put('hotel2/backup.bak', fakeBackup(1024, 2));
    await put('hotel3/set.part1.rar', Buffer.from('Rar!\u001a\u0007\u0001\u0000 part 1'));
    await put('hotel3/set.part2.rar', Buffer.from('Rar!\u001a\u0007\u0001\u0000 part 2'));
    await put('hotel4/readme.txt', Buffer.from('not a backup'));
    await put('README.md', Buffer.from('no tenant'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hotel5/empty.bak', Body: Buffer.alloc(0) }));

    const first = await scan({ pageSize: 2 });
    expect(first).toMatchObject({ listed: 7, matched: 3, started: 3, alreadyStarted: 0, ignored: 4 });
    hotel1First = intakeWorkflowId('hotel1', 'hotel1/NEXT70_20260202.zip', etag1);
    expect(first.startedIds).toContain(hotel1First);

    const second = await scan();
    expect(second).toMatchObject({ matched: 3, started: 0, alreadyStarted: 3 });
    expect(await migrations(3)).toHaveLength(3);

    const input = await env.client.workflow.getHandle(hotel1First).result() as TenantMigrationInput;
    expect(input).toEqual({
      tenantId: 'hotel1',
      source: { server: 'mssql-restore', database: 'restore_hotel1' },
      target: { server: 'pg-main', database: 'tenant_hotel1' },
      backup: { bucket, key: 'hotel1/NEXT70_20260202.zip', etag: etag1 },
      options: { validation: 'full' },
    });
  });

  it('a scan that died after starting some uploads starts only the rest when it runs again', async () => {
    const e6 = await put('hotel6/a.bak', fakeBackup(1024, 6));
    await put('hotel7/b.bak', fakeBackup(1024, 7));
    // What the dead scan managed: hotel6 only.
    await startTenantMigration(env.client, { tenant: 'hotel6', bucket, key: 'hotel6/a.bak', etag: e6, size: 1024 }, plan);
    const again = await scan();
    expect(again).toMatchObject({ started: 1, alreadyStarted: 4 });
    expect(again.startedIds).toEqual([intakeWorkflowId('hotel7', 'hotel7/b.bak', await put('hotel7/b.bak', fakeBackup(1024, 7)))]);
    expect(await migrations(5)).toHaveLength(5);
  });

  it('a new upload for an existing tenant (new key, or same key with new content) starts a new migration', async () => {
    await put('hotel1/NEXT70_20260303.zip', zipWithBak(11));
    const newEtag = await put('hotel2/backup.bak', fakeBackup(1024, 22));
    const third = await scan();
    expect(third).toMatchObject({ started: 2 });
    expect(third.startedIds).toContain(intakeWorkflowId('hotel2', 'hotel2/backup.bak', newEtag));
    expect(third.startedIds).not.toContain(hotel1First);
    const ids = await migrations(7);
    expect(ids).toHaveLength(7);
    expect(ids.filter((id) => id.startsWith('tenant-hotel1-'))).toHaveLength(2);
    expect((await scan()).started).toBe(0);
  });

  /** Runs `tmig <args>` (the intake commands) against the test server; returns what it printed. */
  const tmig = async (...args: string[]) => {
    const program = new Command('tmig').option('--address <a>').option('--namespace <ns>', 'namespace', 'default').exitOverride();
    registerIntake(program);
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { printed.push(String(s)); return true; });
    try {
      await program.parseAsync(['node', 'tmig', '--address', env.address, ...args]);
    } finally {
      spy.mockRestore();
    }
    return printed.join('');
  };
  const planArgs = ['--bucket', bucket, '--pattern', pattern, '--source-server', 'mssql-restore', '--target-server', 'pg-main'];

  it('tmig intake schedule makes a Temporal Schedule whose runs start new uploads; tmig intake scan --wait reports', async () => {
    expect(await tmig('intake', 'schedule', 'uploads-scan', '--every', '1h', ...planArgs)).toMatch(/created schedule uploads-scan/);
    expect(await tmig('intake', 'schedule', 'uploads-scan', '--every', '2h', ...planArgs)).toMatch(/updated schedule uploads-scan/);
    const handle = env.client.schedule.getHandle('uploads-scan');
    const desc = await handle.describe();
    expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'intakeScan', taskQueue: TASK_QUEUE });
    expect(desc.policies.overlap).toBe('SKIP');
    const etag = await put('hotel10/first.bak', fakeBackup(1024, 10));
    await handle.trigger();
    let runId: string | undefined;
    for (let i = 0; i < 50 && !runId; i += 1) {
      runId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!runId) await new Promise((r) => setTimeout(r, 200));
    }
    const totals = await env.client.workflow.getHandle(runId!).result() as IntakeScanTotals;
    expect(totals.startedIds).toEqual([intakeWorkflowId('hotel10', 'hotel10/first.bak', etag)]);
    await handle.delete();

    const printed = await tmig('intake', 'scan', '--wait', ...planArgs);
    expect(printed).toMatch(/0 migrations started, \d+ already started/);
  });

  describe('SQS consumer (S3 event notifications) against fauxqs, a real SQS-compatible server', () => {
    let server: { port: number; stop(): Promise<void> } | undefined;
    let sqs: SQSClient;
    let queueUrl: string;
    let dlqUrl: string;
    const lines: string[] = [];

    beforeAll(async () => {
      fauxqs ??= await import('fauxqs').catch(() => undefined);
      if (!fauxqs) return;
      server = await fauxqs.startFauxqs({ port: 0, logger: false });
      sqs = new SQSClient({ endpoint: `http://127.0.0.1:${server.port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'backup-uploads' }))).QueueUrl!;
      dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'backup-uploads-dlq' }))).QueueUrl!;
    });
    afterAll(async () => {
      sqs?.destroy();
      await server?.stop();
    });

    const event = (key: string, etag: string, eventName = 'ObjectCreated:Put') => JSON.stringify({
      Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key, eTag: etag, size: 1024 } } }],
    });
    const drain = async (consumer: SqsIntakeConsumer) => {
      const total: PollStats = { received: 0, started: 0, alreadyStarted: 0, ignored: 0, deadLettered: 0, failed: 0 };
      for (;;) {
        const s = await consumer.pollOnce();
        if (s.received === 0) return total;
        for (const k of Object.keys(total) as (keyof PollStats)[]) total[k] += s[k];
      }
    };

    it('starts new uploads, dedups against the scan, dead-letters malformed messages, deletes only after the start', async (ctx) => {
      if (!server) {
        console.warn('SKIPPING SQS consumer test: fauxqs (npm devDependency) is not installed');
        ctx.skip();
      }
      const etag1 = normalizeEtag((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'hotel1/NEXT70_20260202.zip' }))).ETag);
      const etag8 = await put('hotel8/new file.bak', fakeBackup(1024, 8));
      for (const body of [
        event('hotel1/NEXT70_20260202.zip', etag1), // started by the scan already
        event('hotel8/new+file.bak', etag8), // URL-encoded key
        'this is not json',
        JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put' }] }),
        JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }),
        event('misc.txt', 'abc'),
        event('hotel1/NEXT70_20260202.zip', etag1, 'ObjectRemoved:Delete'),
      ]) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

      const consumer = new SqsIntakeConsumer({
        sqs, queueUrl, deadLetter: { queueUrl: dlqUrl }, tenantPattern: pattern, waitTimeSeconds: 1,
        start: (obj) => startTenantMigration(env.client, obj, plan), log: (l) => lines.push(l),
      });
      const stats = await drain(consumer);
      expect(stats).toEqual({ received: 7, started: 1, alreadyStarted: 1, ignored: 1, deadLettered: 2, failed: 0 });
      expect(lines.filter((l) => /malformed/.test(l))).toHaveLength(2);
      expect(lines.join('\n')).toContain(intakeWorkflowId('hotel1', 'hotel1/NEXT70_20260202.zip', etag1));

      const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
      expect((dead.Messages ?? []).map((m) => m.MessageAttributes?.reason?.StringValue).sort()).toEqual(
        ['Records[0] lacks s3.bucket.name, s3.object.key or s3.object.eTag', 'body is not JSON']);
      const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      expect(left.Messages ?? []).toHaveLength(0);

      const id8 = intakeWorkflowId('hotel8', 'hotel8/new file.bak', etag8);
      const input = await env.client.workflow.getHandle(id8).result() as TenantMigrationInput;
      expect(input.backup).toEqual({ bucket, key: 'hotel8/new file.bak', etag: etag8 });
      // The scan finds the SQS-started upload already started: the two paths share workflow ids.
      expect(await scan()).toMatchObject({ started: 0 });
    });

    it('malformed messages can go to a dead-letter directory instead of a queue', async (ctx) => {
      if (!server) ctx.skip();
      const dir = await mkdtemp(join(tmpdir(), 'tmig-intake-dlq-'));
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"hello": "world"}' }));
        const consumer = new SqsIntakeConsumer({
          sqs, queueUrl, deadLetter: { dir }, tenantPattern: pattern, waitTimeSeconds: 1,
          start: async () => { throw new Error('must not be called'); }, log: (l) => lines.push(l),
        });
        expect(await drain(consumer)).toMatchObject({ received: 1, deadLettered: 1, failed: 0 });
        const files = await readdir(dir);
        expect(files).toHaveLength(1);
        const saved = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as { reason: string; body: string };
        expect(saved).toMatchObject({ reason: expect.stringMatching(/no Records/), body: '{"hello": "world"}' });
        expect(lines.at(-1)).toMatch(new RegExp(`dead-letter ${dir}`));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('a message whose start fails stays on the queue and is redelivered', async (ctx) => {
      if (!server) ctx.skip();
      const etag9 = await put('hotel9/x.bak', fakeBackup(1024, 9));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: event('hotel9/x.bak', etag9) }));
      const failing = new SqsIntakeConsumer({
        sqs, queueUrl, deadLetter: { queueUrl: dlqUrl }, tenantPattern: pattern, waitTimeSeconds: 1, visibilityTimeoutSeconds: 1,
        start: async () => { throw new Error('Temporal unreachable'); }, log: (l) => lines.push(l),
      });
      expect(await failing.pollOnce()).toMatchObject({ received: 1, failed: 1 });
      expect(lines.at(-1)).toMatch(/left on the queue/);
      await new Promise((r) => setTimeout(r, 1500));
      const working = new SqsIntakeConsumer({
        sqs, queueUrl, deadLetter: { queueUrl: dlqUrl }, tenantPattern: pattern, waitTimeSeconds: 2,
        start: (obj) => startTenantMigration(env.client, obj, plan), log: (l) => lines.push(l),
      });
      expect(await drain(working)).toMatchObject({ received: 1, started: 1 });
      await expect(env.client.workflow.getHandle(intakeWorkflowId('hotel9', 'hotel9/x.bak', etag9)).result()).resolves.toBeDefined();
    });
  });
});
