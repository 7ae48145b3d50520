import { z } from 'zod';
import { builtinEngines, type ServerConfig } from '../engines/registry';
import type { EngineDescriptor } from '../engines/engineDescriptor';

/**
 * A named server. Workflows carry the name only; the URL and password stay with the workers.
 * The schema is the union of the registered engines' config schemas, discriminated on `kind`.
 */
export function serverSchemaFor(engines: readonly EngineDescriptor<any>[]): z.ZodType<ServerConfig, any> {
  const [first, ...rest] = engines.map((d) => d.configSchema as z.ZodObject<any>);
  return z.discriminatedUnion('kind', [first, ...rest]) as unknown as z.ZodType<ServerConfig, any>;
}

export const serverSchema = serverSchemaFor(builtinEngines);

export const s3Schema = z.object({
  endpoint: z.string().url().optional(),
  region: z.string().default('us-east-1'),
  forcePathStyle: z.boolean().default(false),
  accessKeyIdEnv: z.string().optional(),
  secretAccessKeyEnv: z.string().optional(),
}).strict();

/** The worker config's schema, for the given engines (the registered ones when reading a file). */
export function configSchemaFor(engines: readonly EngineDescriptor<any>[]) {
  return configObject(serverSchemaFor(engines));
}

const configObject = (servers: z.ZodType<ServerConfig, any>) => z.object({
  servers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'server names use letters, digits, _ . -'), servers),
  s3: s3Schema.optional(),
  /** Per-tenant work directories (downloads, extracted archives). */
  workDir: z.string().default('.tmig/work'),
  reports: z.object({
    dir: z.string().default('reports'),
    s3: z.object({ bucket: z.string(), prefix: z.string().default('reports/') }).strict().optional(),
  }).strict().default({ dir: 'reports' }),
  /** Online migration: the operator's switch hook, run at cutover and rollback (src/cdc/switchHook.ts). */
  cutover: z.object({
    switchHook: z.union([
      z.object({ command: z.array(z.string().min(1)).min(1), timeoutSeconds: z.number().positive().optional() }).strict(),
      z.object({ url: z.string().url(), timeoutSeconds: z.number().positive().optional() }).strict(),
    ]).optional(),
  }).strict().default({}),
  /** Attempts at reaching a server before the tenant fails with ServerUnreachable. */
  unreachableAttempts: z.number().int().positive().default(4),
  /** Seconds an idle concurrency governor (no holder, no waiter) lingers before it ends. */
  governorIdleGraceSeconds: z.number().int().min(0).max(3600).default(10),
}).strict();

export const configSchema = configSchemaFor(builtinEngines);

export type { ServerConfig };
export type MigratorConfig = z.infer<typeof configSchema>;
