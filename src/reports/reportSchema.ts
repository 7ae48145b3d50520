import { z } from 'zod';
import { splitWaveAccountingSchema } from '../contract/splitAccounting';

/**
 * The report JSON schema. Machine-readable and stable: fields are only added, never renamed or
 * retyped, within one schemaVersion. A breaking change bumps schemaVersion.
 */
export const REPORT_SCHEMA_VERSION = 1 as const;

const auditFinding = z.object({
  check: z.string(),
  table: z.string(),
  column: z.string().optional(),
  count: z.number(),
  sampleKeys: z.array(z.string()),
  policy: z.enum(['warn', 'block']),
  message: z.string(),
});

export const auditSection = z.object({
  sourceKind: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  ms: z.number(),
  checksRun: z.number(),
  blocked: z.boolean(),
  findings: z.array(auditFinding),
});

export const tableReport = z.object({
  table: z.string(),
  key: z.array(z.string()).nullable(),
  sourceRows: z.number(),
  targetRows: z.number(),
  countsMatch: z.boolean(),
  chunks: z.number(),
  chunksVerified: z.number(),
  /** ok: every verified chunk matched; mismatch: at least one did not; not-verified: none was re-read. */
  checksum: z.enum(['ok', 'mismatch', 'not-verified']),
  bytes: z.number(),
  copyMs: z.number(),
  ranges: z.number(),
  resumedFromRows: z.number().optional(),
});

export const validationFindingReport = z.object({
  check: z.string(),
  table: z.string().optional(),
  ok: z.boolean(),
  message: z.string(),
});

export const tenantReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  kind: z.literal('tenant'),
  generatedAt: z.string(),
  tenantId: z.string(),
  waveId: z.string().optional(),
  /** Server names and database names only: never connection strings. */
  source: z.object({ server: z.string(), database: z.string() }).optional(),
  target: z.object({ server: z.string(), database: z.string() }).optional(),
  verdict: z.enum(['passed', 'failed']),
  alreadyComplete: z.boolean().optional(),
  /** A completed database of this tenant that this migration replaced: renamed aside (not dropped) under this name. */
  replacedDatabase: z.string().optional(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  summary: z.object({
    tables: z.number(),
    sourceRows: z.number(),
    targetRows: z.number(),
    rowsCopied: z.number(),
    bytesCopied: z.number(),
    durationMs: z.number(),
    countMismatches: z.number(),
    checksumMismatches: z.number(),
    validationMode: z.enum(['full', 'sample', 'none']),
    validationOk: z.boolean().nullable(),
    integrityFailures: z.number(),
    auditFindings: z.number(),
    auditBlocked: z.boolean(),
  }),
  tables: z.array(tableReport),
  phases: z.array(z.object({ phase: z.string(), startedAt: z.string(), endedAt: z.string().optional(), ms: z.number().optional() })),
  /** `rows`/`bytes` are cumulative at `at`; the rates are over the interval since the previous sample. */
  throughput: z.array(z.object({ at: z.string(), rows: z.number(), bytes: z.number(), rowsPerSecond: z.number(), bytesPerSecond: z.number() })),
  validation: z.object({ mode: z.enum(['full', 'sample', 'none']), ok: z.boolean(), findings: z.array(validationFindingReport) }).optional(),
  audit: auditSection.optional(),
  /** Online tenants: the change stream, each cutover attempt (steps, write-blocked time) and the rollback. */
  online: z.object({
    changesApplied: z.number(),
    lastAppliedCommitTime: z.string().nullable(),
    catchUpMs: z.number().optional(),
    cutovers: z.array(z.object({
      ok: z.boolean(), writeBlockedMs: z.number(), terminatedSessions: z.number(), terminatedApplications: z.array(z.string()),
      steps: z.array(z.object({ step: z.string(), ms: z.number(), detail: z.string().optional() })),
      failedStep: z.string().optional(), error: z.string().optional(),
    })),
    finalCheck: z.object({ tables: z.number(), rows: z.number(), ok: z.boolean(), mismatches: z.array(z.string()) }).optional(),
    reverseChangesApplied: z.number().optional(),
    outcome: z.enum(['confirmed', 'rolled-back', 'streaming', 'failed']),
    rollback: z.object({ writeBlockedMs: z.number(), steps: z.array(z.object({ step: z.string(), ms: z.number(), detail: z.string().optional() })) }).optional(),
  }).optional(),
  conversion: z.object({
    sourceKind: z.string().optional(),
    notes: z.array(z.object({ severity: z.enum(['info', 'lossy', 'unsupported']), object: z.string(), message: z.string() })),
    notMigrated: z.array(z.object({ kind: z.string(), name: z.string(), reason: z.string() })),
  }),
});

export const waveTenantReport = z.object({
  tenantId: z.string(),
  status: z.enum(['succeeded', 'failed']),
  /** Succeeded without copying: the target was already complete from this source. */
  alreadyComplete: z.boolean().optional(),
  error: z.string().optional(),
  rowsCopied: z.number().nullable(),
  durationMs: z.number().nullable(),
  /** Paths relative to the wave report's directory; absent when the tenant wrote no report. */
  report: z.object({ json: z.string(), html: z.string() }).optional(),
  /** From the tenant report, when present. */
  tables: z.number().optional(),
  checksumMismatches: z.number().optional(),
  auditFindings: z.number().optional(),
});

export const waveReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  kind: z.literal('wave'),
  generatedAt: z.string(),
  waveId: z.string(),
  verdict: z.enum(['passed', 'failed']),
  summary: z.object({
    tenants: z.number(),
    succeeded: z.number(),
    /** Of `succeeded`: already complete from an earlier run (nothing copied). */
    alreadyComplete: z.number().optional(),
    failed: z.number(),
    rowsCopied: z.number(),
    /** Sum of the tenants' durations (they overlap: this is work time, not wall time). */
    tenantMs: z.number(),
  }),
  tenants: z.array(waveTenantReport),
  /** Split waves: the accounting of every source row (see contract/splitAccounting). */
  splitAccounting: z.array(splitWaveAccountingSchema).optional(),
});

export type TenantReport = z.infer<typeof tenantReportSchema>;
export type WaveReport = z.infer<typeof waveReportSchema>;
export type TableReport = z.infer<typeof tableReport>;
