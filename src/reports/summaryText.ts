import type { TenantReport, WaveReport } from './reportSchema';
import { formatBytes, formatDuration, formatInt } from './html/format';

/** Plain-text summary of a tenant report for the terminal. */
export function tenantSummaryText(r: TenantReport, paths: { json: string; html: string }): string {
  const s = r.summary;
  const lines = [
    `Tenant ${r.tenantId}: ${r.verdict.toUpperCase()}${r.alreadyComplete ? ' (already complete)' : ''}`,
    `  ${r.waveId ? `wave ${r.waveId} · ` : ''}generated ${r.generatedAt}`,
    `  tables ${formatInt(s.tables)} · source rows ${formatInt(s.sourceRows)} · target rows ${formatInt(s.targetRows)} · ` +
      `copied ${formatInt(s.rowsCopied)} rows (${formatBytes(s.bytesCopied)}) in ${formatDuration(s.durationMs)}`,
    `  validation ${s.validationMode}${s.validationOk === null ? '' : s.validationOk ? ': ok' : ': FAILED'} · count mismatches ${s.countMismatches}` +
      ` · checksum mismatches ${s.checksumMismatches} · integrity failures ${s.integrityFailures}`,
    `  audit ${r.audit ? `${s.auditFindings} findings${s.auditBlocked ? ' (BLOCKING)' : ''}` : 'not run'}`,
  ];
  if (r.error) lines.push(`  error ${r.error.type}: ${r.error.message}`);
  for (const t of r.tables.filter((x) => !x.countsMatch || x.checksum === 'mismatch')) {
    lines.push(`  table ${t.table}: source ${formatInt(t.sourceRows)}, target ${formatInt(t.targetRows)}, checksum ${t.checksum}`);
  }
  for (const f of r.validation?.findings.filter((x) => !x.ok) ?? []) lines.push(`  failed ${f.check}: ${f.message}`);
  for (const f of r.audit?.findings.filter((x) => x.policy === 'block') ?? []) lines.push(`  audit block ${f.check}: ${f.message}`);
  lines.push(`  html ${paths.html}`, `  json ${paths.json}`);
  return lines.join('\n');
}

/** Plain-text summary of a wave report for the terminal. */
export function waveSummaryText(r: WaveReport, paths: { json: string; html: string }): string {
  const s = r.summary;
  const lines = [
    `Wave ${r.waveId}: ${r.verdict.toUpperCase()}`,
    `  generated ${r.generatedAt}`,
    `  tenants ${s.tenants} · succeeded ${s.succeeded} · failed ${s.failed} · rows copied ${formatInt(s.rowsCopied)} · tenant time ${formatDuration(s.tenantMs)}`,
  ];
  for (const t of r.tenants.filter((x) => x.status === 'failed')) lines.push(`  failed ${t.tenantId}: ${t.error ?? 'no reason recorded'}`);
  lines.push(`  html ${paths.html}`, `  json ${paths.json}`);
  return lines.join('\n');
}
