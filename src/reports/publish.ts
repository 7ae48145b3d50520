import type { SchemaModel } from '../engines/schemaModel';
import type { MigrationWaveResult, TenantMigrationResult } from '../contract/migration';
import type { AuditResult } from '../contract/auditResult';
import type { MigratorConfig } from '../config/configSchema';
import type { TenantReportContext } from './buildTenantReport';
import { existsSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { tenantReportFiles, tenantRunReportFiles } from './paths';
import { writeTenantReport, writeWaveReport } from './writeReports';

// The AWS SDK is loaded only when `reports.s3` is configured: a worker without it never pays for it.
async function uploadReportFiles(config: MigratorConfig, files: string[], client?: S3Client): Promise<string[]> {
  return config.reports.s3 ? (await import('./s3Upload')).uploadReportFiles(config, files, client) : [];
}

async function fetchMissingReportFiles(config: MigratorConfig, files: string[]): Promise<string[]> {
  return config.reports.s3 && files.length ? (await import('./s3Upload')).fetchMissingReportFiles(config, files) : [];
}

export interface PublishedReport {
  jsonPath: string;
  htmlPath: string;
  verdict: 'passed' | 'failed';
  /** `s3://` URLs, when `reports.s3` is configured. */
  uploaded: string[];
}

/** Writes a tenant's reports to `config.reports.dir` and uploads them when `reports.s3` is set. */
export async function publishTenantReport(config: MigratorConfig, result: TenantMigrationResult, audit?: AuditResult,
  model?: Pick<SchemaModel, 'sourceKind' | 'notes' | 'notMigrated'>, ctx: TenantReportContext = {}): Promise<PublishedReport> {
  const w = await writeTenantReport(result, audit, model, config.reports.dir, ctx);
  const uploaded = await uploadReportFiles(config, [w.jsonPath, w.htmlPath]);
  return { jsonPath: w.jsonPath, htmlPath: w.htmlPath, verdict: w.report.verdict, uploaded };
}

/**
 * Writes the wave dashboard to `config.reports.dir` and uploads it when `reports.s3` is set.
 * Tenant reports written by other workers are first fetched from S3, so the dashboard has their numbers.
 */
export async function publishWaveReport(config: MigratorConfig, result: MigrationWaveResult, tenantIds?: string[]): Promise<PublishedReport> {
  const ids = [...new Set([...result.succeeded, ...result.failed].map((o) => o.tenantId).concat(tenantIds ?? []))];
  const missing = ids
    .map((id) => (result.runKey ? tenantRunReportFiles(config.reports.dir, id, result.runKey) : tenantReportFiles(config.reports.dir, id)))
    .filter((f) => !existsSync(f.json))
    .flatMap((f) => [f.json, f.html]);
  await fetchMissingReportFiles(config, missing);
  const w = await writeWaveReport(result, config.reports.dir, { tenantIds });
  const uploaded = await uploadReportFiles(config, [w.jsonPath, w.htmlPath]);
  return { jsonPath: w.jsonPath, htmlPath: w.htmlPath, verdict: w.report.verdict, uploaded };
}
