/**
 * What the Temporal UI shows for tmig workflows: static summary/details (user metadata), current
 * details, memo, and per-activity summaries so the event list reads as the pipeline. Pure text
 * builders, deterministic; server and database names only, never credentials or row data.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';
import type { DatabaseRef, TenantProgress, WaveProgress } from '../contract/migration';

interface TenantIdentity {
  tenantId: string;
  waveId?: string;
  source: DatabaseRef;
  target: DatabaseRef;
  backup?: { bucket: string; key: string };
}

const db = (r: DatabaseRef) => `${r.server}/${r.database}`;
const num = (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function bytesText(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** One line for the workflow list: `hotel01: sqlserver/hotel01 → postgres/hotel01 (backup)`. */
export function tenantSummary(t: TenantIdentity): string {
  return `${t.tenantId}: ${db(t.source)} → ${db(t.target)}${t.backup ? ' (from backup)' : ''}`;
}

/** Markdown shown on the workflow page; fixed for the run. */
export function tenantDetails(t: TenantIdentity): string {
  return [
    `**Tenant** \`${t.tenantId}\`${t.waveId ? ` · **wave** \`${t.waveId}\`` : ''}`,
    `**Source** \`${db(t.source)}\`${t.backup ? ` restored from \`s3://${t.backup.bucket}/${t.backup.key}\`` : ''}`,
    `**Target** \`${db(t.target)}\``,
    'Query `progress` for live numbers; the report path appears in current details and the memo when done.',
  ].join('\n\n');
}

/** Memo set when the child is started: searchable context for `temporal workflow describe`. */
export function tenantMemo(t: TenantIdentity): Record<string, unknown> {
  return { tenantId: t.tenantId, ...(t.waveId ? { waveId: t.waveId } : {}), source: db(t.source), target: db(t.target),
    ...(t.backup ? { backup: `s3://${t.backup.bucket}/${t.backup.key}` } : {}) };
}

/** Current details (live, no history event): phase, tables, size, rate, ETA, report. */
export function tenantCurrentDetails(p: TenantProgress, reportPath?: string): string {
  const lines = [`**Phase** ${p.phase}${p.paused ? ' (paused)' : ''} · **tables** ${p.tablesDone}/${p.tablesTotal}`];
  if (p.rowsTotal || p.rowsCopied) {
    lines.push(`**Rows** ${num(p.rowsCopied)} of ~${num(Math.max(p.rowsTotal, p.rowsCopied))} · **copied** ${bytesText(p.bytesCopied)}`
      + (p.rowsPerSecond ? ` · ${num(p.rowsPerSecond)} rows/s` : '') + (p.etaSeconds !== null && p.etaSeconds > 0 ? ` · ETA ${p.etaSeconds} s` : ''));
  }
  if (p.lastError) lines.push(`**Last error** ${p.lastError.split('\n')[0].slice(0, 300)}`);
  if (reportPath) lines.push(`**Report** \`${reportPath}\``);
  return lines.join('\n\n');
}

/** Memo written at the end of a tenant: size and where the report is. */
export function tenantResultMemo(p: TenantProgress, reportPath?: string): Record<string, unknown> {
  return { rowsCopied: p.rowsCopied, bytesCopied: p.bytesCopied, size: bytesText(p.bytesCopied), ...(reportPath ? { report: reportPath } : {}) };
}

export function waveSummary(waveId: string, tenants: number): string {
  return `wave ${waveId}: ${tenants} tenant${tenants === 1 ? '' : 's'}`;
}

export function waveCurrentDetails(p: WaveProgress, reportPath?: string): string {
  const lines = [`**Wave** \`${p.waveId}\`${p.paused ? ' (paused)' : ''} · **tenants** ${p.total}: ${p.succeeded} done, ${p.failed.length} failed, ${p.running.length} running, ${p.pending} pending`,
    `**Rows copied** ${num(p.rowsCopied)}`];
  if (p.failed.length) lines.push(`**Failed** ${p.failed.slice(0, 10).map((f) => `\`${f.tenantId}\``).join(', ')}${p.failed.length > 10 ? ` (+${p.failed.length - 10})` : ''}`);
  if (reportPath) lines.push(`**Report** \`${reportPath}\``);
  return lines.join('\n\n');
}

/** `copy public.orders range 2/4` (ranges numbered from 1 for people), or `copy public.orders`. */
export function rangeSummary(verb: string, table: string, rangeId: number | undefined, ranges: number): string {
  return ranges > 1 && rangeId !== undefined ? `${verb} ${table} range ${rangeId + 1}/${ranges}` : `${verb} ${table}`;
}

/** Call-site options that only add the summary shown on the activity's events. */
export function summary(text: string): ActivityOptions & LocalActivityOptions {
  return { summary: text.length > 200 ? `${text.slice(0, 197)}...` : text } as ActivityOptions & LocalActivityOptions;
}
