import { describe, expect, it } from 'vitest';
import { buildTenantReport } from '../../src/reports/buildTenantReport';
import { buildWaveReport } from '../../src/reports/buildWaveReport';
import { reportJsonSchema } from '../../src/reports/jsonSchema';
import { tenantReportSchema } from '../../src/reports/reportSchema';
import { failedTenant, passedAudit, passedModel, passedTenant, wave } from './fixtures';

const now = new Date('2026-01-05T12:00:00.000Z');

// Schema v1 is a contract: fields may be added, never removed or renamed, without a version bump.
describe('report schema v1', () => {
  it('keeps the v1 fields of the tenant report', () => {
    const r = buildTenantReport(passedTenant, passedAudit, passedModel, { waveId: 'w', now });
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['schemaVersion', 'kind', 'generatedAt', 'tenantId', 'waveId', 'verdict',
      'summary', 'tables', 'phases', 'throughput', 'validation', 'audit', 'conversion']));
    expect(Object.keys(r.summary).sort()).toEqual(['auditBlocked', 'auditFindings', 'bytesCopied', 'checksumMismatches', 'countMismatches',
      'durationMs', 'integrityFailures', 'rowsCopied', 'sourceRows', 'tables', 'targetRows', 'validationMode', 'validationOk']);
    expect(Object.keys(r.tables[0]).sort()).toEqual(['bytes', 'checksum', 'chunks', 'chunksVerified', 'copyMs', 'countsMatch', 'key', 'ranges',
      'resumedFromRows', 'sourceRows', 'table', 'targetRows']);
    expect(r.summary).toEqual({ tables: 4, sourceRows: 1_238_779, targetRows: 1_238_779, rowsCopied: 1_238_779, bytesCopied: 987_654_321,
      durationMs: 170_000, countMismatches: 0, checksumMismatches: 0, validationMode: 'full', validationOk: true, integrityFailures: 0,
      auditFindings: 2, auditBlocked: false });
    expect(r.generatedAt).toBe(now.toISOString());
  });

  it('merges validation results over copy results and derives the checksum status', () => {
    const r = buildTenantReport({ ...failedTenant, validation: { mode: 'sample', ok: false, findings: [], tables: [
      { ...failedTenant.tables[0], targetRows: 4_998, chunksVerified: 2, checksumOk: false, copyMs: 0 }] } }, undefined, undefined, { now });
    const rooms = r.tables.find((t) => t.table === 'public.rooms')!;
    expect(rooms).toMatchObject({ targetRows: 4_998, chunksVerified: 2, copyMs: 1500, checksum: 'mismatch', countsMatch: false });
    expect(r.verdict).toBe('failed');
    expect(r.error?.type).toBe('ValidationMismatch');
  });

  it('rejects a document of another version', () => {
    const r = buildTenantReport(passedTenant, undefined, undefined, { now });
    expect(tenantReportSchema.safeParse({ ...r, schemaVersion: 2 }).success).toBe(false);
  });

  it('publishes a JSON Schema that describes both report kinds', () => {
    const tenant = reportJsonSchema('tenant');
    expect(tenant.$id).toBe('urn:tmig:tenant-report:v1');
    expect((tenant.properties as Record<string, { const?: number }>).schemaVersion.const).toBe(1);
    expect(tenant.required).toEqual(expect.arrayContaining(['tenantId', 'verdict', 'summary', 'tables']));
    const w = buildWaveReport(wave, new Map(), now);
    expect(Object.keys((reportJsonSchema('wave').properties as object))).toEqual(expect.arrayContaining(Object.keys(w)));
  });
});
