import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchBackup, extractArchive, inspectBackupVolumes, type FetchBackupInput, type FetchBackupResult } from '../../src/activities/backupStaging';
import { registerRetry } from '../../src/cli/commands/retryCommand';
import { resetConfigCache } from '../../src/config/loadConfig';
import type { IntakePlan } from '../../src/contract/backupIntake';
import { TASK_QUEUE } from '../../src/contract/names';
import type { TenantProgress } from '../../src/contract/migration';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';
import type { VolumePin } from '../../src/contract/volumeSet';
import { normalizeEtag } from '../../src/intake/backupKeys';
import { startTenantMigration } from '../../src/intake/startMigration';
import { hasBsdtar, rarFixturesDir } from '../helpers/fixtureArchives';
import { minioPath, startMinio, type MinioServer } from '../helpers/minio';

/**
 * Multi-volume RAR sets uploaded one volume at a time (issue 11, item 15), with the real RAR5 fixture
 * (8 volumes, read in place from ../shared/fixtures), real MinIO, a real Temporal dev server, the real
 * intake start (REJECT_DUPLICATE ids) and `tmig retry`.
 */
const temporalPath = process.env.TEMPORAL_CLI_PATH ?? join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal');
const fixtures = rarFixturesDir();
const ready = existsSync(temporalPath) && !!minioPath() && !!fixtures && hasBsdtar();
if (!ready) {
  console.warn(`SKIPPING multi-volume wait tests: need the Temporal CLI (${temporalPath}), MinIO (npm run setup), bsdtar `
    + '(libarchive-tools) and the RAR fixtures in ../shared/fixtures/archives');
}

const bucket = 'uploads';
const parts = Array.from({ length: 8 }, (_, i) => `multiarchive.part0${i + 1}.rar`);
// Polling every second. Runs that must see a late volume wait long (no race with a loaded machine);
// a volume missing for good fails after a short bound.
const planWaiting = (volumeWaitSeconds: number): IntakePlan => ({
  source: { server: 'mssql-restore' }, target: { server: 'pg-main', databaseTemplate: 'tenant_{tenant}' },
  options: { volumeWaitSeconds, volumePollSeconds: 1 },
});
const SHORT = 6;
const LONG = 600;

describe.skipIf(!ready)('multi-volume RAR sets: wait for late volumes, pin ETags, tmig retry', () => {
  let env: TestWorkflowEnvironment;
  let minio: MinioServer;
  let s3: S3Client;
  let worker: Worker;
  let running: Promise<void>;
  let tmp: string;

  const fixture = (name: string) => readFile(join(fixtures!, 'rar5', name));
  const put = async (key: string, body: Buffer) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return normalizeEtag((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag);
  };
  const upload = async (tenant: string, names: string[]) => {
    const etags: Record<string, string> = {};
    for (const n of names) etags[n] = await put(`${tenant}/${n}`, await fixture(n));
    return etags;
  };
  const start = async (tenant: string, etag: string, wait = LONG) =>
    (await startTenantMigration(env.client, { tenant, bucket, key: `${tenant}/${parts[0]}`, etag, size: 15360 }, planWaiting(wait))).workflowId;
  /** Polls the run's progress query until it says it waits for volumes (so it has seen and pinned the set). */
  const waitingFor = async (workflowId: string): Promise<string> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const p = await env.client.workflow.getHandle(workflowId).query<TenantProgress>('progress').catch(() => undefined);
      if (p?.waitingFor?.startsWith('volumes')) return p.waitingFor;
      if (Date.now() > deadline) throw new Error(`${workflowId} never reported waiting for volumes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const failureOf = async (workflowId: string, runId?: string) => {
    const err = await env.client.workflow.getHandle(workflowId, runId).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return (err as WorkflowFailedError).cause as Error & { type?: string };
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tmig-volumes-'));
    [env, minio] = await Promise.all([
      TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalPath }, searchAttributes: ALL_SEARCH_ATTRIBUTES } }),
      startMinio(),
    ]);
    s3 = minio.client();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    process.env.TMIG_VOL_S3_KEY = minio.accessKeyId;
    process.env.TMIG_VOL_S3_SECRET = minio.secretAccessKey;
    await writeFile(join(tmp, 'config.json'), JSON.stringify({
      servers: {},
      s3: { endpoint: minio.endpoint, forcePathStyle: true, accessKeyIdEnv: 'TMIG_VOL_S3_KEY', secretAccessKeyEnv: 'TMIG_VOL_S3_SECRET' },
      workDir: join(tmp, 'work'),
    }));
    process.env.MIGRATOR_CONFIG = join(tmp, 'config.json');
    resetConfigCache();
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath: join(__dirname, 'volumeWorkflows.ts'),
      activities: { inspectBackupVolumes, fetchBackup, extractArchive },
    });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
    await minio?.stop();
    delete process.env.MIGRATOR_CONFIG;
    resetConfigCache();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('a set whose last volume arrives after the run started is waited for, then fetched whole and extracted', async () => {
    const etags = await upload('late', parts.slice(0, 7));
    const id = await start('late', etags[parts[0]]);
    // Volume 7 says more follow: the run names the one it waits for.
    expect(await waitingFor(id)).toBe('volumes multiarchive.part08.rar');
    etags[parts[7]] = (await upload('late', [parts[7]]))[parts[7]];
    const res = await env.client.workflow.getHandle(id).result() as { volumes: VolumePin[]; files: string[] };
    expect(res.volumes).toEqual(parts.map((p) => ({ key: `late/${p}`, etag: etags[p] })));
    expect(res.files).toHaveLength(2);
  }, 120_000);

  it('volumes missing past volumeWaitSeconds fail the run, naming the tenant and every missing file', async () => {
    // A gap (part 3) and a missing last volume (part 7 says more follow).
    const etags = await upload('never', parts.filter((p) => p !== parts[2] && p !== parts[7]));
    const id = await start('never', etags[parts[0]], SHORT);
    const cause = await failureOf(id);
    expect(cause.type).toBe('VolumesMissing');
    expect(cause.message).toMatch(/^tenant never: multi-volume set s3:\/\/uploads\/never\/multiarchive\.part01\.rar is incomplete after waiting \d+ s/);
    expect(cause.message).toContain('missing multiarchive.part03.rar, multiarchive.part08.rar');
    expect(cause.message).toContain(`tmig retry ${id}`);
    // Nothing was downloaded: the run never got past the wait.
    expect(existsSync(join(tmp, 'work', 'never'))).toBe(false);
  }, 120_000);

  it('a volume replaced while the run waits fails the run naming that volume', async () => {
    const etags = await upload('swap', parts.slice(0, 7));
    const id = await start('swap', etags[parts[0]]);
    await waitingFor(id);
    // Another upload lands on part 3's key (different bytes), then the missing volume arrives.
    const replaced = await put(`swap/${parts[2]}`, await fixture(parts[3]));
    await upload('swap', [parts[7]]);
    const cause = await failureOf(id);
    expect(cause.type).toBe('SourceMissing');
    expect(cause.message).toBe(`tenant swap: volume s3://uploads/swap/${parts[2]} was replaced mid-run (ETag now ${replaced}, `
      + `pinned ${etags[parts[2]]} when first seen); once the set is final, start a new run: tmig retry ${id}`);
  }, 120_000);

  it('a volume replaced after the wait pinned it fails the download, naming the volume', async () => {
    const etags = await upload('dl', parts);
    const pins = parts.map((p) => ({ key: `dl/${p}`, etag: etags[p] }));
    const replaced = await put(`dl/${parts[4]}`, await fixture(parts[5]));
    const activity = new MockActivityEnvironment();
    const err = await activity.run<[FetchBackupInput], FetchBackupResult, typeof fetchBackup>(fetchBackup,
      { tenantId: 'dl', backup: { bucket, key: `dl/${parts[0]}`, etag: etags[parts[0]] }, volumes: pins }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'SourceMissing', nonRetryable: true });
    expect((err as Error).message).toMatch(new RegExp(`^tenant dl: volume s3://uploads/dl/${parts[4].replace(/\./g, '\\.')} was replaced mid-run `
      + `\\(ETag now ${replaced}, pinned ${etags[parts[4]]} when first seen\\)`));
    // The volumes before it were fetched; the replaced one was not.
    const files = await readdir(join(tmp, 'work', 'dl', 'download'));
    expect(files).toContain(parts[3]);
    expect(files).not.toContain(parts[4]);
  });

  /** Runs `tmig retry ...` in process against the test server; returns what it printed and its error. */
  const tmigRetry = async (...args: string[]) => {
    const program = new Command('tmig').option('--address <a>').option('--namespace <ns>', 'namespace', 'default').exitOverride();
    registerRetry(program);
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { printed.push(String(s)); return true; });
    try {
      await program.parseAsync(['node', 'tmig', '--address', env.address, ...args]);
      return { out: printed.join(''), error: undefined };
    } catch (err) {
      return { out: printed.join(''), error: err as Error & { exitCode?: number } };
    } finally {
      spy.mockRestore();
    }
  };

  it('tmig retry starts a new run of a failed intake migration (the id policy refuses any other start); the failed run keeps its history', async () => {
    const etag1 = normalizeEtag((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `never/${parts[0]}` }))).ETag);
    const id = await start('never', etag1, SHORT);
    const failed = await env.client.workflow.getHandle(id).describe();
    expect(failed.status.name).toBe('FAILED');
    // A new scan or event finds it already started: REJECT_DUPLICATE keeps failed uploads from restarting by themselves.
    expect((await startTenantMigration(env.client, { tenant: 'never', bucket, key: `never/${parts[0]}`, etag: etag1, size: 15360 }, planWaiting(SHORT))).status)
      .toBe('already-started');

    await upload('never', [parts[2], parts[7]]);
    const retried = await tmigRetry('retry', id, '--json');
    expect(retried.error).toBeUndefined();
    const outcome = JSON.parse(retried.out) as { workflowId: string; failedRunId: string; runId: string; tenantId: string };
    expect(outcome).toMatchObject({ workflowId: id, failedRunId: failed.runId, tenantId: 'never', failedStatus: 'FAILED' });
    expect(outcome.runId).not.toBe(failed.runId);
    const res = await env.client.workflow.getHandle(id, outcome.runId).result() as { volumes: VolumePin[]; files: string[] };
    expect(res.volumes).toHaveLength(8);
    expect(res.files).toHaveLength(2);

    // The failed run is still there under its run id, with its history and its failure.
    const old = env.client.workflow.getHandle(id, failed.runId);
    expect((await old.describe()).status.name).toBe('FAILED');
    const history = await old.fetchHistory();
    expect(history.events?.some((e) => /missing multiarchive\.part03\.rar/.test(e.workflowExecutionFailedEventAttributes?.failure?.message ?? ''))).toBe(true);
    expect((await env.client.workflow.getHandle(id).describe()).memo).toMatchObject({ intake: { key: `never/${parts[0]}` }, retryOf: failed.runId });

    // A run that succeeded is not retried; an unknown id is "not found".
    const again = await tmigRetry('retry', id);
    expect(again.error?.message).toMatch(/is COMPLETED .*only a failed, cancelled, terminated or timed-out run is retried/);
    expect(again.error?.exitCode).toBe(1);
    expect((await tmigRetry('retry', 'tenant-nobody-000000000000')).error?.exitCode).toBe(3);
  }, 120_000);
});
