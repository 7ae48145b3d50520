import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** ETags arrive quoted from S3 listings and unquoted in event notifications; compare them bare, lower-case. */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
}

/** True when the ETag is an MD5 (single part) or an MD5-of-MD5s (`-N`, multipart): only those can be recomputed. */
export function isMd5Etag(etag: string): boolean {
  return /^[0-9a-f]{32}(-\d+)?$/.test(etag);
}

export function etagPartCount(etag: string): number {
  const m = /-(\d+)$/.exec(etag);
  return m ? Number(m[1]) : 1;
}

/**
 * Recomputes an S3 ETag from a file: MD5 for one part, MD5 of the concatenated part MD5s plus `-N` for N parts.
 * `partSizes` are the sizes of the parts in order (all but the last are usually equal).
 */
export async function computeEtag(path: string, partSizes: number[]): Promise<string> {
  if (partSizes.length <= 1) {
    const h = createHash('md5');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    return h.digest('hex');
  }
  const digests: Buffer[] = [];
  let part = 0;
  let left = partSizes[0];
  let h = createHash('md5');
  for await (const raw of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let chunk = raw as Buffer;
    while (chunk.length > 0) {
      const take = Math.min(left, chunk.length);
      h.update(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      left -= take;
      if (left === 0 && part < partSizes.length - 1) {
        digests.push(h.digest());
        h = createHash('md5');
        part += 1;
        left = partSizes[part];
      }
    }
  }
  digests.push(h.digest());
  return createHash('md5').update(Buffer.concat(digests)).digest('hex') + `-${partSizes.length}`;
}

/** Part sizes assuming equal parts of `firstPart` bytes (what multipart uploaders produce). */
export function uniformPartSizes(total: number, firstPart: number, parts: number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < parts - 1; i += 1) sizes.push(firstPart);
  sizes.push(total - firstPart * (parts - 1));
  return sizes;
}
