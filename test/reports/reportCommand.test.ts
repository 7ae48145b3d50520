import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeTenantReport, writeWaveReport } from '../../src/reports/writeReports';
import { failedTenant, passedAudit, passedModel, passedTenant, wave } from './fixtures';

const BIN = resolve(__dirname, '../../bin/tmig.js');

function tmig(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.MIGRATOR_CONFIG;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tmig report', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tmig-report-cli-'));
    await writeTenantReport(passedTenant, passedAudit, passedModel, dir, { waveId: wave.waveId });
    await writeTenantReport(failedTenant, undefined, undefined, dir, { waveId: wave.waveId });
    await writeWaveReport(wave, dir);
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('summarises a passed tenant and says where the files are', () => {
    const r = tmig('report', 'hotel-001', '--dir', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Tenant hotel-001: PASSED');
    expect(r.stdout).toContain('source rows 1,238,779 · target rows 1,238,779');
    expect(r.stdout).toContain('audit 2 findings');
    expect(r.stdout).toContain(`html ${join(dir, 'tenants', 'hotel-001', 'report.html')}`);
  });

  it('exits 4 for a failed tenant, naming the table and the failure; accepts the workflow id', () => {
    const r = tmig('report', 'tenant-hotel-002', '--dir', dir);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('Tenant hotel-002: FAILED');
    expect(r.stdout).toContain('table public.rooms: source 5,000, target 4,999, checksum mismatch');
    expect(r.stdout).toContain('failed index: public.rooms: index rooms_floor_idx');
  });

  it('summarises a wave with its failed tenants, and prints JSON with --json', () => {
    const r = tmig('report', wave.waveId, '--dir', dir);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('Wave wave-2026-01: FAILED');
    expect(r.stdout).toContain('tenants 3 · succeeded 1 · failed 2');
    expect(r.stdout).toContain('failed hotel-003: SourceMissing');
    const j = tmig('report', 'hotel-001', '--dir', dir, '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ schemaVersion: 1, kind: 'tenant', tenantId: 'hotel-001', summary: { tables: 4 } });
  });

  it('exits 3 when there is no such report', () => {
    const r = tmig('report', 'nobody', '--dir', dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no report for "nobody"');
  });
});
