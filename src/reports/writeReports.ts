import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { SchemaModel } from '../engines/schemaModel';
import type { MigrationWaveResult, TenantMigrationResult, WaveTenantOutcome } from '../contract/migration';
import type { AuditResult } from '../contract/auditResult';
import { buildTenantReport, type TenantReportContext } from './buildTenantReport';
import { buildWaveReport, type WaveTenantLinks } from './buildWaveReport';
import { renderTenantHtml } from './html/tenantPage';
import { renderWaveHtml } from './html/wavePage';
import { relativeLinks, tenantReportFiles, tenantRunReportFiles, waveReportFiles, waveRunReportFiles } from './paths';
import { tenantReportSchema, waveReportSchema, type TenantReport, type WaveReport } from './reportSchema';
import { formatZodError } from '../contract/formatZodError';
import { BadInputError } from '../contract/failures';

/** Write-then-rename: a reader never sees half a report, and writing twice leaves the same files. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

export interface WrittenReport<R> { jsonPath: string; htmlPath: string; report: R }

/** Writes a tenant's JSON and HTML reports under `<dir>/tenants/<tenantId>/`. */
export async function writeTenantReport(result: TenantMigrationResult, audit: AuditResult | undefined,
  model: Pick<SchemaModel, 'sourceKind' | 'notes' | 'notMigrated'> | undefined, dir: string,
  ctx: TenantReportContext = {}): Promise<WrittenReport<TenantReport>> {
  const report = buildTenantReport(result, audit, model, ctx);
  const json = JSON.stringify(report, null, 2) + '\n';
  // The run's own copy first (kept), then the latest at the tenant's top level.
  let run: { json: string; html: string } | undefined;
  if (ctx.runKey) {
    const r = tenantRunReportFiles(dir, result.tenantId, ctx.runKey);
    await mkdir(r.dir, { recursive: true });
    await writeAtomic(r.json, json);
    await writeAtomic(r.html, renderTenantHtml(report, { wave: report.waveId ? relativeLinks.waveRunFrom(4, report.waveId, ctx.runKey) : undefined }));
    run = r;
  }
  const files = tenantReportFiles(dir, result.tenantId);
  await mkdir(files.dir, { recursive: true });
  await writeAtomic(files.json, json);
  await writeAtomic(files.html, renderTenantHtml(report, {
    wave: report.waveId ? (ctx.runKey ? relativeLinks.waveRunFrom(2, report.waveId, ctx.runKey) : relativeLinks.waveFromTenant(report.waveId)) : undefined,
  }));
  return { jsonPath: run?.json ?? files.json, htmlPath: run?.html ?? files.html, report };
}

/**
 * Writes the wave dashboard under `<dir>/waves/<waveId>/` (and, for a run with a run key, under
 * runs/<runKey>/ too), linking this run's tenant reports. `tenantIds` adds rows for tenants the
 * result's capped samples leave out, from their reports of this run.
 */
export async function writeWaveReport(result: MigrationWaveResult, dir: string, opts: { now?: Date; tenantIds?: string[] } = {}): Promise<WrittenReport<WaveReport>> {
  const runKey = result.runKey;
  const tenants = new Map<string, WaveTenantLinks>();
  const extra: WaveTenantOutcome[] = [];
  const sampled = new Set([...result.succeeded, ...result.failed].map((o) => o.tenantId));
  const ids = [...new Set([...sampled, ...(opts.tenantIds ?? [])])];
  for (const tenantId of ids) {
    const files = runKey ? tenantRunReportFiles(dir, tenantId, runKey) : tenantReportFiles(dir, tenantId);
    if (!existsSync(files.json)) continue;
    let report: TenantReport | undefined;
    try {
      report = await readTenantReport(files.json);
    } catch {
      report = undefined; // An unreadable tenant report is still linked; its numbers come from the wave result.
    }
    const link = (depth: number, file: 'report.json' | 'report.html') =>
      (runKey ? relativeLinks.tenantRunFrom(depth, tenantId, runKey, file) : relativeLinks.tenantFromWave(tenantId, file));
    tenants.set(tenantId, { report, json: link(runKey ? 4 : 2, 'report.json'), html: link(runKey ? 4 : 2, 'report.html') });
    if (!sampled.has(tenantId) && report) {
      extra.push({ tenantId, ok: report.verdict === 'passed', rowsCopied: report.summary.rowsCopied, ms: report.summary.durationMs,
        ...(report.error ? { error: report.error.message } : {}), ...(report.alreadyComplete ? { alreadyComplete: true } : {}) });
    }
  }
  const full: MigrationWaveResult = { ...result, succeeded: [...result.succeeded, ...extra.filter((o) => o.ok)], failed: [...result.failed, ...extra.filter((o) => !o.ok)] };
  const report = buildWaveReport(full, tenants, opts.now);
  const json = JSON.stringify(report, null, 2) + '\n';
  let run: { json: string; html: string } | undefined;
  if (runKey) {
    const r = waveRunReportFiles(dir, result.waveId, runKey);
    await mkdir(r.dir, { recursive: true });
    await writeAtomic(r.json, json);
    await writeAtomic(r.html, renderWaveHtml(report));
    run = r;
  }
  // The latest page sits two levels higher than the run's: its links climb 2, not 4.
  const latest = runKey ? { ...report, tenants: report.tenants.map((t) => (t.report ? { ...t, report: {
    json: t.report.json.replace(/^(\.\.\/){4}/, '../../'), html: t.report.html.replace(/^(\.\.\/){4}/, '../../') } } : t)) } : report;
  const files = waveReportFiles(dir, result.waveId);
  await mkdir(files.dir, { recursive: true });
  await writeAtomic(files.json, JSON.stringify(latest, null, 2) + '\n');
  await writeAtomic(files.html, renderWaveHtml(latest));
  return { jsonPath: run?.json ?? files.json, htmlPath: run?.html ?? files.html, report };
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new BadInputError(`report ${path}: cannot read: ${(err as Error).message}`);
  }
}

export async function readTenantReport(path: string): Promise<TenantReport> {
  const parsed = tenantReportSchema.safeParse(await readJson(path));
  if (!parsed.success) throw new BadInputError(`report ${path}: not a tenant report (schema v1): ${formatZodError(parsed.error)}`);
  return parsed.data;
}

export async function readWaveReport(path: string): Promise<WaveReport> {
  const parsed = waveReportSchema.safeParse(await readJson(path));
  if (!parsed.success) throw new BadInputError(`report ${path}: not a wave report (schema v1): ${formatZodError(parsed.error)}`);
  return parsed.data;
}
