/**
 * One look at a multi-volume RAR set in S3: which volumes are there (with their ETags, to be pinned),
 * and which are known to be missing. A gap in the part numbers is missing; so is the part after the
 * highest one present when that volume's end block says more volumes follow (read from its last bytes,
 * pinned to its ETag). Nothing is downloaded whole.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { FailureType, PermanentError } from '../contract/failures';
import type { BackupRef } from '../contract/migration';
import { parseVolumeName, volumeNameFor, type VolumeSetState } from '../contract/volumeSet';
import { rarVolumeEnd, VOLUME_TAIL_BYTES } from '../archives/rarVolumeEnd';
import { normalizeEtag } from './etag';

async function rangeOf(s3: S3Client, bucket: string, key: string, etag: string, range: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: `"${etag}"` }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

export async function inspectVolumeSet(s3: S3Client, backup: BackupRef): Promise<VolumeSetState> {
  const first = parseVolumeName(backup.key);
  if (!first) throw new PermanentError(FailureType.BadInput, `s3://${backup.bucket}/${backup.key} is not a volume of a multi-volume set (<name>.partN.rar)`);
  const found = new Map<number, { key: string; etag: string; size: number }>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: backup.bucket, Prefix: `${first.stem}.part`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const v = o.Key ? parseVolumeName(o.Key) : undefined;
      // Empty objects are uploads that have not landed yet (some tools create the key first).
      if (v && v.stem === first.stem && o.Size) found.set(v.number, { key: o.Key!, etag: normalizeEtag(o.ETag), size: o.Size });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const numbers = [...found.keys()].sort((a, b) => a - b);
  const volumes = numbers.map((n) => found.get(n)!);
  const firstFound = found.get(first.number);
  if (!firstFound) throw new PermanentError(FailureType.SourceMissing, `s3://${backup.bucket}/${backup.key} does not exist`);
  if (backup.etag && normalizeEtag(backup.etag) !== firstFound.etag) {
    throw new PermanentError(FailureType.SourceMissing, `s3://${backup.bucket}/${backup.key} changed since it was listed `
      + `(ETag now ${firstFound.etag}, listed ${normalizeEtag(backup.etag)}); the new upload gets its own migration`);
  }
  const highest = numbers[numbers.length - 1];
  const missing: string[] = [];
  for (let n = 1; n < highest; n += 1) if (!found.has(n)) missing.push(volumeNameFor(first, n));
  const last = found.get(highest)!;
  const head = await rangeOf(s3, backup.bucket, last.key, last.etag, 'bytes=0-7');
  const tail = await rangeOf(s3, backup.bucket, last.key, last.etag, `bytes=-${Math.min(VOLUME_TAIL_BYTES, last.size)}`);
  if (rarVolumeEnd(head, tail) === 'more-follow') missing.push(volumeNameFor(first, highest + 1));
  return { volumes, missing };
}
