import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MigratorConfig } from '../config/configSchema';
import { s3ClientFromConfig } from '../storage/s3Client';
import { BadInputError } from '../contract/failures';

/** Object key of a report file: `<prefix><path under the reports dir>` with `/` separators, e.g. `reports/tenants/t1/report.html`. */
export function reportObjectKey(prefix: string, reportsDir: string, file: string): string {
  const rel = relative(reportsDir, file);
  if (rel.startsWith('..') || rel === '') throw new BadInputError(`report file ${file} is not under the reports directory ${reportsDir}`);
  const p = prefix.replace(/^\/+/, '');
  return `${p && !p.endsWith('/') ? p + '/' : p}${rel.split(sep).join('/')}`;
}

const FETCH_CONCURRENCY = 16;

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
};

/**
 * Uploads written report files when `reports.s3` is configured; returns their `s3://` URLs
 * (empty when not configured). Same key for the same file: uploading twice is harmless.
 */
export async function uploadReportFiles(config: MigratorConfig, files: string[], client?: S3Client): Promise<string[]> {
  const target = config.reports.s3;
  if (!target) return [];
  const s3 = client ?? s3ClientFromConfig(config.s3);
  try {
    const urls: string[] = [];
    for (const file of files) {
      const key = reportObjectKey(target.prefix, config.reports.dir, file);
      const ext = file.slice(file.lastIndexOf('.') + 1);
      await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: await readFile(file),
        ContentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' }));
      urls.push(`s3://${target.bucket}/${key}`);
    }
    return urls;
  } finally {
    if (!client) s3.destroy();
  }
}

/**
 * Fetches report files another worker uploaded (tenants run on many machines; the wave report
 * is written on one). Files already present locally are kept; missing objects are skipped.
 * Returns the files fetched.
 */
export async function fetchMissingReportFiles(config: MigratorConfig, files: string[], client?: S3Client): Promise<string[]> {
  const target = config.reports.s3;
  if (!target || files.length === 0) return [];
  const s3 = client ?? s3ClientFromConfig(config.s3);
  const fetched: string[] = [];
  const fetchOne = async (file: string): Promise<void> => {
    const key = reportObjectKey(target.prefix, config.reports.dir, file);
    let body: Uint8Array;
    try {
      const obj = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
      body = await obj.Body!.transformToByteArray();
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return;
      throw err;
    }
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
    fetched.push(file);
  };
  try {
    // A wave may have thousands of tenants: a few requests at a time, not one after another.
    const queue = [...files];
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, queue.length) }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await fetchOne(f);
    }));
    return fetched.sort();
  } finally {
    if (!client) s3.destroy();
  }
}
