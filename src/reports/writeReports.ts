import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { SchemaModel } from '../engines/schemaModel';
import type { MigrationWaveResult, TenantMigrationResult } from '../contract/migration';
import type { AuditResult } from '../contract/auditResult';
import { buildTenantReport, type TenantReportContext } from './buildTenantReport';
import { buildWaveReport, type WaveTenantLinks } from './buildWaveReport';
import { renderTenantHtml } from './html/tenantPage';
import { renderWaveHtml } from './html/wavePage';
import { relativeLinks, tenantReportFiles, waveReportFiles } from './paths';
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
  const files = tenantReportFiles(dir, result.tenantId);
  await mkdir(files.dir, { recursive: true });
  await writeAtomic(files.json, JSON.stringify(report, null, 2) + '\n');
  await writeAtomic(files.html, renderTenantHtml(report, { wave: report.waveId ? relativeLinks.waveFromTenant(report.waveId) : undefined }));
  return { jsonPath: files.json, htmlPath: files.html, report };
}

/** Writes the wave dashboard under `<dir>/waves/<waveId>/`, linking the tenant reports found in `dir`. */
export async function writeWaveReport(result: MigrationWaveResult, dir: string, opts: { now?: Date } = {}): Promise<WrittenReport<WaveReport>> {
  const tenants = new Map<string, WaveTenantLinks>();
  for (const o of [...result.succeeded, ...result.failed]) {
    const files = tenantReportFiles(dir, o.tenantId);
    if (!existsSync(files.json)) continue;
    let report: TenantReport | undefined;
    try {
      report = await readTenantReport(files.json);
    } catch {
      report = undefined; // An unreadable tenant report is still linked; its numbers come from the wave result.
    }
    tenants.set(o.tenantId, { report, json: relativeLinks.tenantFromWave(o.tenantId, 'report.json'),
      html: relativeLinks.tenantFromWave(o.tenantId, 'report.html') });
  }
  const report = buildWaveReport(result, tenants, opts.now);
  const files = waveReportFiles(dir, result.waveId);
  await mkdir(files.dir, { recursive: true });
  await writeAtomic(files.json, JSON.stringify(report, null, 2) + '\n');
  await writeAtomic(files.html, renderWaveHtml(report));
  return { jsonPath: files.json, htmlPath: files.html, report };
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
