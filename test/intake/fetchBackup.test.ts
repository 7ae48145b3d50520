import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupWorkDir, extractArchive, fetchBackup, locateBackup, type CleanupWorkDirInput, type CleanupWorkDirResult, type ExtractArchiveInput,
  type FetchBackupInput, type FetchBackupResult, type LocateBackupInput, type LocateBackupResult, stageBackup, type StageBackupInput,
  type StageBackupResult,
} from '../../src/activities/backupStaging';
import { downloadObject, type DownloadProgress } from '../../src/storage/objectDownload';
import type { FetchHeartbeat } from '../../src/storage/backupFetch';
import { resetConfigCache } from '../../src/config/loadConfig';
import { fakeBackup, hasBsdtar, rarFixturesDir, tarGzBuffer, zipBuffer } from '../helpers/fixtureArchives';
import { minioPath, startMinio, type MinioServer } from '../helpers/minio';

const haveMinio = !!minioPath();
if (!haveMinio) console.warn('SKIPPING S3 fetch tests: MinIO binary not found in ~/.cache/tmig/bin (run npm run setup)');

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!haveMinio)('fetchBackup against a real MinIO', () => {
  let minio: MinioServer;
  let s3: S3Client;
  let tmp: string;
  const bucket = 'backups';
  const big = randomBytes(11 * 1024 * 1024 + 12345);

  beforeAll(async () => {
    minio = await startMinio();
    s3 = minio.client();
    tmp = await mkdtemp(join(tmpdir(), 'tmig-intake-fetch-'));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // Multipart upload: 3 parts of 5 MiB, so the ETag is an MD5 of MD5s ("-3").
    await new Upload({ client: s3, params: { Bucket: bucket, Key: 'hotel1/big.rar', Body: big }, partSize: 5 * 1024 * 1024, queueSize: 1 }).done();
    process.env.TMIG_TEST_S3_KEY = minio.accessKeyId;
    process.env.TMIG_TEST_S3_SECRET = minio.secretAccessKey;
    const config = {
      servers: { 'mssql-restore': { kind: 'mssql', url: 'mssql://sa@127.0.0.1:1433/master', backupDir: { worker: join(tmp, 'share'), server: 'D:\\Backups' } } },
      s3: { endpoint: minio.endpoint, forcePathStyle: true, accessKeyIdEnv: 'TMIG_TEST_S3_KEY', secretAccessKeyEnv: 'TMIG_TEST_S3_SECRET' },
      workDir: join(tmp, 'work'),
    };
    await writeFile(join(tmp, 'config.json'), JSON.stringify(config));
    process.env.MIGRATOR_CONFIG = join(tmp, 'config.json');
    resetConfigCache();
  });
  afterAll(async () => {
    await minio?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    delete process.env.MIGRATOR_CONFIG;
    resetConfigCache();
  });

  it('an interrupted multipart download resumes from the recorded offset and verifies the multipart ETag', async () => {
    const dest = join(tmp, 'dl1', 'big.rar');
    const abort = new AbortController();
    let recorded: DownloadProgress | undefined;
    const first = downloadObject({
      s3, bucket, key: 'hotel1/big.rar', dest, signal: abort.signal, progressIntervalMs: 0,
      onProgress: (p) => {
        recorded = p;
        if (p.offset >= 4 * 1024 * 1024) abort.abort(new Error('forced interruption'));
      },
    });
    await expect(first).rejects.toThrow();
    expect(recorded!.offset).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(recorded!.offset).toBeLessThan(big.length);
    expect(recorded!.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(existsSync(dest)).toBe(false);

    let resumedProgress: DownloadProgress | undefined;
    const res = await downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest, resumeFrom: recorded, progressIntervalMs: 0, onProgress: (p) => { resumedProgress ??= p; } });
    expect(res.resumedFrom).toBe(recorded!.offset);
    expect(resumedProgress!.offset).toBeGreaterThan(recorded!.offset);
    expect(res.verified).toBe('etag');
    expect(res.bytes).toBe(big.length);
    expect(sha(await readFile(dest))).toBe(sha(big));

    // Idempotent: a verified download is not fetched again.
    const again = await downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest });
    expect(again.resumedFrom).toBe(big.length);
  });

  it('a damaged partial file is caught by the ETag check, discarded, and the next attempt starts clean', async () => {
    const dest = join(tmp, 'dl2', 'big.rar');
    const abort = new AbortController();
    let recorded: DownloadProgress | undefined;
    await expect(downloadObject({
      s3, bucket, key: 'hotel1/big.rar', dest, signal: abort.signal, progressIntervalMs: 0,
      onProgress: (p) => { recorded = p; if (p.offset >= 2 * 1024 * 1024) abort.abort(); },
    })).rejects.toThrow();
    const part = (await readdir(join(tmp, 'dl2'))).find((f) => f.endsWith('.part'))!;
    const fh = await open(join(tmp, 'dl2', part), 'r+');
    await fh.write(Buffer.from('garbage'), 0, 7, 1000);
    await fh.close();
    await expect(downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest, resumeFrom: recorded })).rejects.toThrow(/does not match ETag/);
    expect(await readdir(join(tmp, 'dl2'))).toEqual([]);
    const res = await downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest, resumeFrom: recorded });
    expect(res.resumedFrom).toBe(0);
    expect(sha(await readFile(dest))).toBe(sha(big));
  });

  it('a replaced object (ETag differs from the listing) or a missing one is SourceMissing', async () => {
    const dest = join(tmp, 'dl3', 'x.rar');
    await expect(downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest, expectedEtag: '"0123456789abcdef0123456789abcdef"' }))
      .rejects.toMatchObject({ type: 'SourceMissing', message: expect.stringMatching(/changed since it was listed/) });
    await expect(downloadObject({ s3, bucket, key: 'hotel1/nope.rar', dest })).rejects.toMatchObject({ type: 'SourceMissing' });
  });

  it('the activity chain: fetch (heartbeats progress) -> extract -> locate (server path) -> cleanup', async () => {
    const bak = fakeBackup(300_000, 3);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hotel2/NEXT70_20260202.zip', Body: zipBuffer([{ name: 'NEXT70.BAK', data: bak, deflate: true }]) }));
    const env = new MockActivityEnvironment();
    const beats: FetchHeartbeat[] = [];
    env.on('heartbeat', (d: FetchHeartbeat) => beats.push(d));
    const fetched = await env.run<[FetchBackupInput], FetchBackupResult, typeof fetchBackup>(fetchBackup, { tenantId: 'hotel2', backup: { bucket, key: 'hotel2/NEXT70_20260202.zip' } });
    expect(fetched.path).toBe(join(tmp, 'work', 'hotel2', 'download', 'NEXT70_20260202.zip'));
    expect(beats.at(-1)).toMatchObject({ key: 'hotel2/NEXT70_20260202.zip', offset: fetched.bytes, total: fetched.bytes, volume: 1, volumes: 1 });
    expect(typeof beats.at(-1)!.bytesPerSecond).toBe('number');

    const extracted = await env.run<[ExtractArchiveInput], { dir: string; files: string[] }, typeof extractArchive>(extractArchive, { tenantId: 'hotel2', path: fetched.path });
    const origin = { bucket, key: 'hotel2/NEXT70_20260202.zip', etag: fetched.etag };
    expect(extracted.files).toEqual(['NEXT70.BAK']);
    const placed = await env.run<[LocateBackupInput], LocateBackupResult, typeof locateBackup>(locateBackup, { tenantId: 'hotel2', dir: extracted.dir, sourceServer: 'mssql-restore', origin });
    expect(placed.serverPath).toBe('D:\\Backups\\hotel2\\hotel2.bak');
    expect(placed.workerPath).toBe(join(tmp, 'share', 'hotel2', 'hotel2.bak'));
    expect((await readFile(placed.workerPath)).equals(bak)).toBe(true);
    // Retried after the move: still answers with the placed file.
    expect(await env.run<[LocateBackupInput], LocateBackupResult, typeof locateBackup>(locateBackup, { tenantId: 'hotel2', dir: extracted.dir, sourceServer: 'mssql-restore', origin })).toEqual(placed);

    await env.run<[CleanupWorkDirInput], CleanupWorkDirResult, typeof cleanupWorkDir>(cleanupWorkDir, { tenantId: 'hotel2', ok: true, sourceServer: 'mssql-restore' });
    expect(existsSync(join(tmp, 'work', 'hotel2'))).toBe(false);
    expect(existsSync(join(tmp, 'share', 'hotel2'))).toBe(false);
  });

  it('stageBackup does fetch, extract and place in one activity (one disk), idempotently', async () => {
    const bak = fakeBackup(50_000, 5);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hotel5/db.tar.gz', Body: tarGzBuffer([{ path: 'x/HOTEL5.Bak', data: bak }]) }));
    const env = new MockActivityEnvironment();
    const input = { tenantId: 'hotel5', backup: { bucket, key: 'hotel5/db.tar.gz' }, sourceServer: 'mssql-restore' };
    const staged = await env.run<[StageBackupInput], StageBackupResult, typeof stageBackup>(stageBackup, input);
    expect(staged).toMatchObject({ serverPath: 'D:\\Backups\\hotel5\\hotel5.bak', bytes: bak.length, files: ['x/HOTEL5.Bak'] });
    expect((await readFile(staged.workerPath)).equals(bak)).toBe(true);
    expect(await env.run<[StageBackupInput], StageBackupResult, typeof stageBackup>(stageBackup, input)).toEqual(staged);
  });

  it('the activity resumes from the offset in its last heartbeat', async () => {
    // An earlier attempt got this far (its heartbeat) and left the partial file.
    const dest = join(tmp, 'work', 'hotel1', 'download', 'big.rar');
    const abort = new AbortController();
    let recorded: DownloadProgress | undefined;
    await expect(downloadObject({ s3, bucket, key: 'hotel1/big.rar', dest, signal: abort.signal, progressIntervalMs: 0,
      onProgress: (p) => { recorded = p; if (p.offset >= 3 * 1024 * 1024) abort.abort(); } })).rejects.toThrow();
    const env = new MockActivityEnvironment({ heartbeatDetails: { ...recorded, volume: 1, volumes: 1, bytesDone: recorded!.offset } });
    const beats: FetchHeartbeat[] = [];
    env.on('heartbeat', (d: FetchHeartbeat) => beats.push(d));
    const res = await env.run<[FetchBackupInput], FetchBackupResult, typeof fetchBackup>(fetchBackup, { tenantId: 'hotel1', backup: { bucket, key: 'hotel1/big.rar' } });
    expect(sha(await readFile(res.path))).toBe(sha(big));
    // The first progress of this attempt is already past the recorded offset: it did not start from 0.
    expect(beats.find((b) => b?.key)!.offset).toBeGreaterThan(recorded!.offset);
  });

  it('permanent problems leave the activity as non-retryable typed failures; a failed tenant keeps a size-limited work dir', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hotel3/broken.zip', Body: Buffer.from('PK\u0003\u0004 truncated nonsense') }));
    const env = new MockActivityEnvironment();
    const fetched = await env.run<[FetchBackupInput], FetchBackupResult, typeof fetchBackup>(fetchBackup, { tenantId: 'hotel3', backup: { bucket, key: 'hotel3/broken.zip' } });
    const err = await env.run<[ExtractArchiveInput], { dir: string; files: string[] }, typeof extractArchive>(extractArchive, { tenantId: 'hotel3', path: fetched.path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ArchiveCorrupt', nonRetryable: true });
    await writeFile(join(tmp, 'work', 'hotel3', 'download', 'huge.bin'), Buffer.alloc(200_000));
    const kept = await env.run<[CleanupWorkDirInput], CleanupWorkDirResult, typeof cleanupWorkDir>(cleanupWorkDir, { tenantId: 'hotel3', ok: false, keepBytes: 50_000 });
    expect(kept.removed).toBe(false);
    expect(kept.pruned).toEqual(['download/huge.bin']);
    expect(existsSync(fetched.path)).toBe(true);
    expect((await stat(join(tmp, 'work', 'hotel3', 'PRUNED.txt'))).size).toBeGreaterThan(0);
  });

  const fixtures = rarFixturesDir();
  it.skipIf(!fixtures || !hasBsdtar())('a multi-volume RAR set is fetched whole from its first volume and extracted', async () => {
    const parts = (await readdir(join(fixtures!, 'rar5'))).filter((f) => f.startsWith('multiarchive.part'));
    for (const p of parts) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `hotel4/${p}`, Body: await readFile(join(fixtures!, 'rar5', p)) }));
    const env = new MockActivityEnvironment();
    const fetched = await env.run<[FetchBackupInput], FetchBackupResult, typeof fetchBackup>(fetchBackup, { tenantId: 'hotel4', backup: { bucket, key: 'hotel4/multiarchive.part01.rar' } });
    expect(fetched.bytes).toBe(15360 * 7 + 9208);
    const extracted = await env.run<[ExtractArchiveInput], { dir: string; files: string[] }, typeof extractArchive>(extractArchive, { tenantId: 'hotel4', path: fetched.path });
    expect(extracted.files).toHaveLength(2);
    // Not a backup: locate says which files it found.
    const err = await env.run<[LocateBackupInput], LocateBackupResult, typeof locateBackup>(locateBackup, { tenantId: 'hotel4', dir: extracted.dir, sourceServer: 'mssql-restore' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'NoBackupFound', nonRetryable: true, message: expect.stringMatching(/bsdcat_test/) });
  });
});
