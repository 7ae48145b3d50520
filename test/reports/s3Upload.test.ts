import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { reportObjectKey, uploadReportFiles } from '../../src/reports/s3Upload';
import { publishTenantReport, publishWaveReport } from '../../src/reports/publish';
import { configSchema } from '../../src/config/configSchema';
import { minioPath, startMinio, type MinioServer } from '../helpers/minio';
import { passedTenant, wave } from './fixtures';

describe('report object keys', () => {
  it('puts the path under the reports dir after the prefix, with / separators', () => {
    expect(reportObjectKey('reports/', '/var/r', '/var/r/tenants/t1/report.html')).toBe('reports/tenants/t1/report.html');
    expect(reportObjectKey('/migr/2026', '/var/r', '/var/r/waves/w1/wave.json')).toBe('migr/2026/waves/w1/wave.json');
    expect(reportObjectKey('', 'r', 'r/tenants/a/report.json')).toBe('tenants/a/report.json');
    expect(() => reportObjectKey('p/', '/var/r', '/etc/passwd')).toThrow(/not under the reports directory/);
  });

  it('uploads nothing when reports.s3 is not configured', async () => {
    const config = configSchema.parse({ servers: {} });
    expect(await uploadReportFiles(config, ['/nonexistent/report.json'])).toEqual([]);
  });
});

const haveMinio = !!minioPath();
if (!haveMinio) console.warn('\n*** SKIPPED: report upload test needs MinIO (~/.cache/tmig/bin/minio, npm run setup) ***\n');

describe.skipIf(!haveMinio)('report upload to S3 (MinIO)', () => {
  let minio: MinioServer;
  let dir: string;
  beforeAll(async () => {
    minio = await startMinio();
    dir = mkdtempSync(join(tmpdir(), 'tmig-reports-s3-'));
    await minio.client().send(new CreateBucketCommand({ Bucket: 'tmig-reports' }));
  });
  afterAll(async () => {
    await minio?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the tenant report locally and uploads both files under the prefix', async () => {
    process.env.TMIG_TEST_REPORTS_KEY = minio.accessKeyId;
    process.env.TMIG_TEST_REPORTS_SECRET = minio.secretAccessKey;
    const config = configSchema.parse({
      servers: {},
      s3: { endpoint: minio.endpoint, forcePathStyle: true, accessKeyIdEnv: 'TMIG_TEST_REPORTS_KEY', secretAccessKeyEnv: 'TMIG_TEST_REPORTS_SECRET' },
      reports: { dir, s3: { bucket: 'tmig-reports', prefix: 'migrations/' } },
    });
    const published = await publishTenantReport(config, passedTenant);
    expect(published.uploaded).toEqual([
      's3://tmig-reports/migrations/tenants/hotel-001/report.json',
      's3://tmig-reports/migrations/tenants/hotel-001/report.html',
    ]);
    const obj = await minio.client().send(new GetObjectCommand({ Bucket: 'tmig-reports', Key: 'migrations/tenants/hotel-001/report.json' }));
    expect(obj.ContentType).toBe('application/json');
    const json = JSON.parse(await obj.Body!.transformToString());
    expect(json).toMatchObject({ schemaVersion: 1, kind: 'tenant', tenantId: 'hotel-001', verdict: 'passed' });
    const html = await minio.client().send(new GetObjectCommand({ Bucket: 'tmig-reports', Key: 'migrations/tenants/hotel-001/report.html' }));
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(await html.Body!.transformToString()).toContain('Tenant hotel-001');
  });

  it('builds the wave dashboard on another machine from the tenant reports in S3', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'tmig-reports-s3-other-'));
    try {
      const config = configSchema.parse({
        servers: {},
        s3: { endpoint: minio.endpoint, forcePathStyle: true, accessKeyIdEnv: 'TMIG_TEST_REPORTS_KEY', secretAccessKeyEnv: 'TMIG_TEST_REPORTS_SECRET' },
        reports: { dir: otherDir, s3: { bucket: 'tmig-reports', prefix: 'migrations/' } },
      });
      const published = await publishWaveReport(config, wave);
      expect(published.uploaded).toEqual(['s3://tmig-reports/migrations/waves/wave-2026-01/wave.json', 's3://tmig-reports/migrations/waves/wave-2026-01/wave.html']);
      const json = JSON.parse(readFileSync(published.jsonPath, 'utf8'));
      // hotel-001's report was uploaded by the previous test (another "machine"): fetched and linked with its numbers.
      const t1 = json.tenants.find((t: { tenantId: string }) => t.tenantId === 'hotel-001');
      expect(t1).toMatchObject({ tables: 4, report: { html: '../../tenants/hotel-001/report.html' } });
      expect(existsSync(join(otherDir, 'tenants', 'hotel-001', 'report.html'))).toBe(true);
      expect(json.tenants.find((t: { tenantId: string }) => t.tenantId === 'hotel-002').report).toBeUndefined();
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
