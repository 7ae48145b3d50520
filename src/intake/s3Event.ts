import { normalizeEtag } from '../storage/etag';

/** One object-created record from an S3 event notification. */
export interface S3ObjectCreated {
  bucket: string;
  key: string;
  etag: string;
  size: number;
}

export type ParsedS3Message =
  | { kind: 'test' }
  | { kind: 'records'; created: S3ObjectCreated[]; otherEvents: number }
  | { kind: 'malformed'; reason: string };

interface RawRecord {
  eventName?: unknown;
  s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; eTag?: unknown; size?: unknown } };
}

/**
 * Parses an SQS message body holding an S3 event notification (direct, or wrapped in an SNS notification).
 * Keys arrive URL-encoded with `+` for spaces.
 */
export function parseS3EventMessage(body: string | undefined): ParsedS3Message {
  let doc: unknown;
  try {
    doc = JSON.parse(body ?? '');
  } catch {
    return { kind: 'malformed', reason: 'body is not JSON' };
  }
  let msg = doc as { Type?: unknown; Message?: unknown; Event?: unknown; Records?: unknown };
  if (msg && msg.Type === 'Notification' && typeof msg.Message === 'string') {
    try {
      msg = JSON.parse(msg.Message);
    } catch {
      return { kind: 'malformed', reason: 'SNS notification whose Message is not JSON' };
    }
  }
  if (!msg || typeof msg !== 'object') return { kind: 'malformed', reason: 'body is not a JSON object' };
  if (msg.Event === 's3:TestEvent') return { kind: 'test' };
  if (!Array.isArray(msg.Records)) return { kind: 'malformed', reason: 'no Records array (not an S3 event notification)' };
  const created: S3ObjectCreated[] = [];
  let otherEvents = 0;
  for (const [i, r] of (msg.Records as RawRecord[]).entries()) {
    if (typeof r?.eventName !== 'string') return { kind: 'malformed', reason: `Records[${i}] has no eventName` };
    if (!r.eventName.startsWith('ObjectCreated:')) {
      otherEvents += 1;
      continue;
    }
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    const etag = r.s3?.object?.eTag;
    if (typeof bucket !== 'string' || typeof key !== 'string' || typeof etag !== 'string' || !bucket || !key || !etag) {
      return { kind: 'malformed', reason: `Records[${i}] lacks s3.bucket.name, s3.object.key or s3.object.eTag` };
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      return { kind: 'malformed', reason: `Records[${i}] key is not URL-encoded correctly` };
    }
    created.push({ bucket, key: decoded, etag: normalizeEtag(etag), size: Number(r.s3?.object?.size ?? 0) });
  }
  return { kind: 'records', created, otherEvents };
}
