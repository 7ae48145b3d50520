import { S3Client } from '@aws-sdk/client-s3';
import type { MigratorConfig } from '../config/configSchema';
import { BadInputError } from '../contract/failures';

type S3Settings = NonNullable<MigratorConfig['s3']>;

/** AWS-style credentials named by the config (env var names only; values never leave the process). */
export function credentialsFromEnv(s3: S3Settings | undefined): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (!s3?.accessKeyIdEnv && !s3?.secretAccessKeyEnv) return undefined;
  const accessKeyId = s3.accessKeyIdEnv ? process.env[s3.accessKeyIdEnv] : undefined;
  const secretAccessKey = s3.secretAccessKeyEnv ? process.env[s3.secretAccessKeyEnv] : undefined;
  if (!accessKeyId || !secretAccessKey) {
    throw new BadInputError(`s3: environment variables ${s3.accessKeyIdEnv ?? '(accessKeyIdEnv unset)'} and `
      + `${s3.secretAccessKeyEnv ?? '(secretAccessKeyEnv unset)'} must both be set`);
  }
  return { accessKeyId, secretAccessKey };
}

/** S3 client for any S3-compatible endpoint; without config it uses the SDK's default chain (AWS). */
export function s3ClientFromConfig(s3: S3Settings | undefined): S3Client {
  return new S3Client({
    endpoint: s3?.endpoint,
    region: s3?.region ?? 'us-east-1',
    forcePathStyle: s3?.forcePathStyle ?? false,
    credentials: credentialsFromEnv(s3),
    // Retries are Temporal's job (with heartbeat-based resume); keep the SDK's own few.
    maxAttempts: 3,
  });
}
