import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { normalizeEtag } from '../storage/etag';
import { classifyKey, compileTenantPattern } from './backupKeys';
import type { BackupObject, ListBackupsInput, ListBackupsResult } from '../contract/backupIntake';

/** One page of a bucket listing, split into backups to migrate and keys passed over. */
export async function listBackupPage(s3: S3Client, input: ListBackupsInput): Promise<ListBackupsResult> {
  const pattern = compileTenantPattern(input.tenantPattern);
  const page = await s3.send(new ListObjectsV2Command({
    Bucket: input.bucket, Prefix: input.prefix || undefined, StartAfter: input.startAfter, MaxKeys: input.maxKeys ?? 500,
  }));
  const objects: BackupObject[] = [];
  const ignored: string[] = [];
  let ignoredCount = 0;
  const contents = page.Contents ?? [];
  for (const o of contents) {
    if (!o.Key) continue;
    const verdict = classifyKey(o.Key, pattern);
    if ('ignored' in verdict || !o.Size) {
      ignoredCount += 1;
      if (ignored.length < 100) ignored.push(`${o.Key}: ${'ignored' in verdict ? verdict.ignored : 'empty object'}`);
      continue;
    }
    objects.push({ tenant: verdict.tenant, bucket: input.bucket, key: o.Key, etag: normalizeEtag(o.ETag), size: o.Size });
  }
  const last = contents[contents.length - 1]?.Key;
  return { objects, listed: contents.length, ignored, ignoredCount, nextStartAfter: page.IsTruncated && last ? last : undefined };
}
