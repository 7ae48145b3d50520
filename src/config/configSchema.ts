import { z } from 'zod';

/** A named server. Workflows carry the name only; the URL and password stay with the workers. */
export const serverSchema = z.object({
  kind: z.enum(['postgres', 'mssql']),
  /** Connection URL without the password, e.g. postgres://migrator@db1:5432/postgres */
  url: z.string().min(1),
  /** Name of an environment variable that holds the password (the file need not). */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** Default permit limit of this server's pool in the concurrency governor. */
  maxConcurrency: z.number().int().positive().default(4),
  /** SQL Server only: where .bak files are placed, as the worker sees it and as the SQL Server host sees it. */
  backupDir: z.object({ worker: z.string().min(1), server: z.string().min(1) }).optional(),
  /** SQL Server only: data directory for RESTORE ... WITH MOVE (server-side path). */
  dataDir: z.string().optional(),
  /** SQL Server only: target schema for objects in `dbo`. */
  dboSchema: z.string().optional(),
});

export const s3Schema = z.object({
  endpoint: z.string().url().optional(),
  region: z.string().default('us-east-1'),
  forcePathStyle: z.boolean().default(false),
  accessKeyIdEnv: z.string().optional(),
  secretAccessKeyEnv: z.string().optional(),
});

export const configSchema = z.object({
  servers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'server names use letters, digits, _ . -'), serverSchema),
  s3: s3Schema.optional(),
  /** Per-tenant work directories (downloads, extracted archives). */
  workDir: z.string().default('.tmig/work'),
  reports: z.object({
    dir: z.string().default('reports'),
    s3: z.object({ bucket: z.string(), prefix: z.string().default('reports/') }).optional(),
  }).default({ dir: 'reports' }),
  /** Attempts at reaching a server before the tenant fails with ServerUnreachable. */
  unreachableAttempts: z.number().int().positive().default(4),
});

export type ServerConfig = z.infer<typeof serverSchema>;
export type MigratorConfig = z.infer<typeof configSchema>;
