import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, open, readFile, rename, rm, stat, statfs, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FailureType, PermanentError } from '../contract/failures';
import { computeEtag, etagPartCount, isMd5Etag, normalizeEtag, uniformPartSizes } from './etag';

export interface DownloadProgress {
  key: string;
  /** Bytes of the object that are in the local file (the resume point). */
  offset: number;
  total: number;
  bytesPerSecond: number;
  etag: string;
}

export interface DownloadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Final local path; the download goes to `<dest>.<etag>.part` and is renamed when verified. */
  dest: string;
  /** ETag as listed when the migration was started; a different current ETag means the object was replaced. */
  expectedEtag?: string;
  /** The error message when the ETag differs from `expectedEtag` (default: a new upload replaced the listed one). */
  changedMessage?: (now: string, expected: string) => string;
  /** Resume point recorded by an earlier attempt (heartbeat details). Ignored if the object changed since. */
  resumeFrom?: { key?: string; offset: number; etag: string };
  onProgress?: (p: DownloadProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** Bytes to keep free on the disk beyond the download itself. */
  reserveBytes?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  etag: string;
  /** Offset this attempt started from (0 = fresh download, total = already complete). */
  resumedFrom: number;
  verified: 'etag' | 'size-only';
}

const objectName = (bucket: string, key: string) => `s3://${bucket}/${key}`;

async function headObject(s3: S3Client, bucket: string, key: string, partNumber?: number): Promise<HeadObjectCommandOutput> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: partNumber }));
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
      throw new PermanentError(FailureType.SourceMissing, `${objectName(bucket, key)} does not exist`);
    }
    throw err;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}

/** Refuses to start a download that cannot fit: permanent if the disk is too small at all, retryable if just full now. */
async function checkDiskSpace(dir: string, needed: number, total: number, reserve: number, what: string): Promise<void> {
  const s = await statfs(dir);
  const free = Number(s.bavail) * Number(s.bsize);
  const capacity = Number(s.blocks) * Number(s.bsize);
  if (total + reserve > capacity) {
    throw new PermanentError(FailureType.DiskFull,
      `${what} is ${total} bytes but the work disk at ${dir} holds only ${capacity} bytes in all`);
  }
  if (needed + reserve > free) {
    throw ApplicationFailure.retryable(
      `${what}: needs ${needed} more bytes (+${reserve} reserve) but only ${free} are free on the work disk at ${dir}`, FailureType.DiskFull);
  }
}

/** Sizes of the parts of a multipart object: equal parts first, every part asked for only if that does not match. */
async function verifyEtag(s3: S3Client, bucket: string, key: string, path: string, total: number, etag: string): Promise<boolean> {
  const parts = etagPartCount(etag);
  if (parts === 1) return (await computeEtag(path, [total])) === etag;
  const first = await headObject(s3, bucket, key, 1);
  const firstSize = first.ContentLength ?? 0;
  if ((await computeEtag(path, uniformPartSizes(total, firstSize, parts))) === etag) return true;
  const sizes: number[] = [firstSize];
  for (let n = 2; n <= parts; n += 1) sizes.push((await headObject(s3, bucket, key, n)).ContentLength ?? 0);
  return (await computeEtag(path, sizes)) === etag;
}

/**
 * Streams one S3 object to disk, never holding it in memory. Resumes from `resumeFrom.offset` with a Range
 * request pinned to the same ETag (If-Match), checks free space first, and verifies size and ETag at the end.
 * Idempotent: a verified earlier download of the same ETag is returned as is.
 */
export async function downloadObject(opts: DownloadOptions): Promise<DownloadResult> {
  const { s3, bucket, key, dest } = opts;
  const what = objectName(bucket, key);
  const head = await headObject(s3, bucket, key);
  const etag = normalizeEtag(head.ETag);
  const total = head.ContentLength ?? 0;
  if (opts.expectedEtag && normalizeEtag(opts.expectedEtag) !== etag) {
    throw new PermanentError(FailureType.SourceMissing, opts.changedMessage?.(etag, normalizeEtag(opts.expectedEtag))
      ?? `${what} changed since it was listed (ETag now ${etag}, listed ${normalizeEtag(opts.expectedEtag)}); the new upload gets its own migration`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const marker = `${dest}.verified.json`;
  try {
    const done = JSON.parse(await readFile(marker, 'utf8')) as { etag: string; bytes: number };
    if (done.etag === etag && done.bytes === total && (await fileSize(dest)) === total) {
      return { path: dest, bytes: total, etag, resumedFrom: total, verified: 'etag' };
    }
  } catch {
    // no marker: download
  }

  const part = `${dest}.${etag.replace(/[^0-9a-z]/g, '').slice(0, 16) || 'noetag'}.part`;
  const onDisk = await fileSize(part);
  const r = opts.resumeFrom;
  let offset = r && normalizeEtag(r.etag) === etag && (r.key === undefined || r.key === key) && onDisk > 0
    ? Math.min(r.offset, onDisk) : 0;
  if (onDisk >= 0) await truncate(part, offset);
  await checkDiskSpace(dirname(dest), total - offset, total, opts.reserveBytes ?? 0, what);
  const resumedFrom = offset;

  if (total === 0) await writeFile(part, '');
  if (offset < total) {
    const res = await s3.send(new GetObjectCommand({
      Bucket: bucket, Key: key, IfMatch: head.ETag, Range: offset > 0 ? `bytes=${offset}-` : undefined,
    }), { abortSignal: opts.signal });
    if (offset > 0 && res.ContentRange && !res.ContentRange.startsWith(`bytes ${offset}-`)) {
      throw new Error(`${what}: asked for bytes from ${offset}, got range ${res.ContentRange}`);
    }
    const started = Date.now();
    let lastReport = 0;
    const interval = opts.progressIntervalMs ?? 1000;
    const report = (force: boolean) => {
      const now = Date.now();
      if (!opts.onProgress || (!force && now - lastReport < interval)) return;
      lastReport = now;
      const secs = Math.max((now - started) / 1000, 0.001);
      opts.onProgress({ key, offset, total, etag, bytesPerSecond: Math.round((offset - resumedFrom) / secs) });
    };
    // Counts a chunk only once it is written to the file, so a recorded offset is never ahead of the file.
    const fh = await open(part, 'a');
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        fh.write(chunk).then(() => {
          offset += chunk.length;
          report(false);
          cb();
        }, cb);
      },
    });
    try {
      await pipeline(res.Body as Readable, out, { signal: opts.signal });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      // The disk filled up under this download (other downloads, other files): drop the partial file so
      // it neither holds the space nor looks like progress, and say which file and which disk.
      await fh.close().catch(() => undefined);
      await rm(part, { force: true });
      throw ApplicationFailure.retryable(`${what}: the work disk at ${dirname(dest)} filled up during the download `
        + `(no space left after ${offset} of ${total} bytes); the partial file was removed`, FailureType.DiskFull);
    } finally {
      await fh.close().catch(() => undefined);
    }
    report(true);
  }

  const got = await fileSize(part);
  if (got !== total) throw new Error(`${what}: downloaded ${got} bytes, expected ${total}; retrying`);
  let verified: DownloadResult['verified'] = 'size-only';
  const encrypted = head.ServerSideEncryption === 'aws:kms' || head.SSECustomerAlgorithm !== undefined;
  if (isMd5Etag(etag) && !encrypted) {
    if (!(await verifyEtag(s3, bucket, key, part, total, etag))) {
      await rm(part, { force: true });
      throw new Error(`${what}: content does not match ETag ${etag} after download; downloading again`);
    }
    verified = 'etag';
  }
  await rename(part, dest);
  await writeFile(marker, JSON.stringify({ etag, bytes: total }));
  return { path: dest, bytes: total, etag, resumedFrom, verified };
}
