import type { MigrationWaveResult, WaveTenantOutcome } from '../contract/migration';
import { REPORT_SCHEMA_VERSION, waveReportSchema, type TenantReport, type WaveReport } from './reportSchema';

export interface WaveTenantLinks {
  report?: TenantReport;
  /** Paths relative to the wave report's directory. */
  json: string;
  html: string;
}

/** Builds the wave dashboard data from the wave result and the tenants' reports (when they exist). */
export function buildWaveReport(result: MigrationWaveResult, tenants: Map<string, WaveTenantLinks>, now = new Date()): WaveReport {
  const outcomes: WaveTenantOutcome[] = [...result.succeeded, ...result.failed];
  // A tenant retried in the same wave may appear twice: the last outcome wins, failed after succeeded.
  const byTenant = new Map<string, WaveTenantOutcome>();
  for (const o of outcomes) byTenant.set(o.tenantId, o);
  const rows = [...byTenant.values()].sort((a, b) => Number(a.ok) - Number(b.ok) || a.tenantId.localeCompare(b.tenantId))
    .map((o) => {
      const links = tenants.get(o.tenantId);
      const r = links?.report;
      return {
        tenantId: o.tenantId,
        status: o.ok ? 'succeeded' as const : 'failed' as const,
        ...(o.alreadyComplete || r?.alreadyComplete ? { alreadyComplete: true } : {}),
        ...(o.error ?? r?.error?.message ? { error: o.error ?? r?.error?.message } : {}),
        rowsCopied: o.rowsCopied ?? r?.summary.rowsCopied ?? null,
        durationMs: o.ms ?? r?.summary.durationMs ?? null,
        ...(links ? { report: { json: links.json, html: links.html } } : {}),
        ...(r ? { tables: r.summary.tables, checksumMismatches: r.summary.checksumMismatches, auditFindings: r.summary.auditFindings } : {}),
      };
    });
  const failed = rows.filter((r) => r.status === 'failed').length;
  return waveReportSchema.parse({
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'wave',
    generatedAt: now.toISOString(),
    waveId: result.waveId,
    verdict: failed === 0 && (result.splitAccounting ?? []).every((a) => a.complete) ? 'passed' : 'failed',
    summary: {
      tenants: rows.length,
      succeeded: rows.length - failed,
      alreadyComplete: rows.filter((r) => r.alreadyComplete).length,
      failed,
      rowsCopied: rows.reduce((s, r) => s + (r.rowsCopied ?? 0), 0),
      tenantMs: rows.reduce((s, r) => s + (r.durationMs ?? 0), 0),
    },
    tenants: rows,
    ...(result.splitAccounting ? { splitAccounting: result.splitAccounting } : {}),
  });
}
