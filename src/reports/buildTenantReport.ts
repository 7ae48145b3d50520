import type { SchemaModel } from '../engines/schemaModel';
import type { DatabaseRef, TableResult, TenantMigrationResult, ThroughputSample } from '../contract/migration';
import type { AuditResult } from '../contract/auditResult';
import { REPORT_SCHEMA_VERSION, tenantReportSchema, type TableReport, type TenantReport } from './reportSchema';

export interface TenantReportContext {
  waveId?: string;
  /** The wave run (`<waveId>.<start>`): the report is also kept under runs/<runKey>/. */
  runKey?: string;
  source?: DatabaseRef;
  target?: DatabaseRef;
  /** A completed database this migration replaced, kept renamed aside. */
  replacedDatabase?: string;
  /** Fixed clock for reproducible reports (tests). */
  now?: Date;
}

/** Copy results and validation results describe the same tables: validation has the final word. */
function mergeTables(result: TenantMigrationResult): TableResult[] {
  const merged = new Map<string, TableResult>();
  for (const t of result.tables) merged.set(t.table, { ...t });
  for (const v of result.validation?.tables ?? []) {
    const c = merged.get(v.table);
    merged.set(v.table, c ? { ...c, sourceRows: v.sourceRows, targetRows: v.targetRows, checksumOk: v.checksumOk,
      chunksVerified: v.chunksVerified, chunks: Math.max(c.chunks, v.chunks) } : { ...v });
  }
  return [...merged.values()];
}

function tableReport(t: TableResult): TableReport {
  return {
    table: t.table, key: t.key, sourceRows: t.sourceRows, targetRows: t.targetRows,
    countsMatch: t.sourceRows === t.targetRows, chunks: t.chunks, chunksVerified: t.chunksVerified,
    checksum: t.chunksVerified === 0 ? (t.checksumOk ? 'not-verified' : 'mismatch') : t.checksumOk ? 'ok' : 'mismatch',
    bytes: t.bytes, copyMs: t.copyMs, ranges: t.ranges,
    ...(t.resumedFromRows !== undefined ? { resumedFromRows: t.resumedFromRows } : {}),
  };
}

/** Samples carry cumulative rows/bytes; rates are per interval (clamped at 0 if a counter restarted). */
function throughput(samples: ThroughputSample[]): TenantReport['throughput'] {
  const sorted = [...samples].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return sorted.map((s, i) => {
    const prev = sorted[i - 1];
    const secs = prev ? (Date.parse(s.at) - Date.parse(prev.at)) / 1000 : 0;
    const rate = (d: number) => (secs > 0 ? Math.max(0, Math.round(d / secs)) : 0);
    return { at: s.at, rows: s.rows, bytes: s.bytes,
      rowsPerSecond: prev ? rate(s.rows - prev.rows) : 0, bytesPerSecond: prev ? rate(s.bytes - prev.bytes) : 0 };
  });
}

function durationMs(result: TenantMigrationResult): number {
  const starts = result.phases.map((p) => Date.parse(p.startedAt)).filter(Number.isFinite);
  const ends = result.phases.map((p) => (p.endedAt ? Date.parse(p.endedAt) : Date.parse(p.startedAt) + (p.ms ?? 0)))
    .filter(Number.isFinite);
  if (!starts.length || !ends.length) return result.phases.reduce((s, p) => s + (p.ms ?? 0), 0);
  return Math.max(0, Math.max(...ends) - Math.min(...starts));
}

/** Builds the versioned tenant report from the workflow result, the audit and the conversion notes. */
export function buildTenantReport(result: TenantMigrationResult, audit?: AuditResult,
  model?: Pick<SchemaModel, 'sourceKind' | 'notes' | 'notMigrated'>, ctx: TenantReportContext = {}): TenantReport {
  const tables = mergeTables(result).map(tableReport);
  const findings = result.validation?.findings ?? [];
  const report: TenantReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'tenant',
    generatedAt: (ctx.now ?? new Date()).toISOString(),
    tenantId: result.tenantId,
    ...(ctx.waveId ? { waveId: ctx.waveId } : {}),
    ...(ctx.source ? { source: { server: ctx.source.server, database: ctx.source.database } } : {}),
    ...(ctx.target ? { target: { server: ctx.target.server, database: ctx.target.database } } : {}),
    verdict: result.ok ? 'passed' : 'failed',
    ...(result.alreadyComplete ? { alreadyComplete: true } : {}),
    ...(ctx.replacedDatabase ? { replacedDatabase: ctx.replacedDatabase } : {}),
    ...(result.error ? { error: { type: result.error.type, message: result.error.message } } : {}),
    summary: {
      tables: tables.length,
      sourceRows: tables.reduce((s, t) => s + t.sourceRows, 0),
      targetRows: tables.reduce((s, t) => s + t.targetRows, 0),
      rowsCopied: result.rowsCopied,
      bytesCopied: result.bytesCopied,
      durationMs: durationMs(result),
      countMismatches: tables.filter((t) => !t.countsMatch).length,
      checksumMismatches: tables.filter((t) => t.checksum === 'mismatch').length,
      validationMode: result.validation?.mode ?? 'none',
      validationOk: result.validation ? result.validation.ok : null,
      integrityFailures: findings.filter((f) => !f.ok).length,
      auditFindings: audit?.findings.length ?? 0,
      auditBlocked: audit?.blocked ?? false,
    },
    tables,
    phases: result.phases.map((p) => ({ phase: p.phase, startedAt: p.startedAt,
      ...(p.endedAt ? { endedAt: p.endedAt } : {}),
      ...(p.ms !== undefined ? { ms: p.ms } : p.endedAt ? { ms: Date.parse(p.endedAt) - Date.parse(p.startedAt) } : {}) })),
    throughput: throughput(result.throughput),
    ...(result.validation ? { validation: { mode: result.validation.mode, ok: result.validation.ok,
      findings: findings.map((f) => ({ check: f.check, ...(f.table ? { table: f.table } : {}), ok: f.ok, message: f.message })) } } : {}),
    ...(audit ? { audit: { sourceKind: audit.sourceKind, startedAt: audit.startedAt, finishedAt: audit.finishedAt, ms: audit.ms,
      checksRun: audit.checksRun, blocked: audit.blocked, findings: audit.findings } } : {}),
    ...(result.online ? { online: result.online } : {}),
    conversion: {
      ...(model?.sourceKind ? { sourceKind: model.sourceKind } : {}),
      notes: model?.notes ?? [],
      notMigrated: model?.notMigrated ?? [],
    },
  };
  // Validate what we write: a report that does not match its own schema is a bug here, not later.
  return tenantReportSchema.parse(report);
}
