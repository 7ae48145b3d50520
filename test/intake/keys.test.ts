import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeEtag, normalizeEtag } from '../../src/storage/etag';
import { serverSidePath } from '../../src/archives/backupLocation';
import { classifyKey, compileTenantPattern, intakeWorkflowId } from '../../src/intake/backupKeys';
import { parseS3EventMessage } from '../../src/intake/s3Event';
import { migrationInputFor } from '../../src/intake/startMigration';

describe('tenant keys and workflow ids', () => {
  const re = compileTenantPattern('^backups/(?<tenant>[^/]+)/');
  it('derives the tenant from the key and passes over what is not a backup', () => {
    expect(classifyKey('backups/hotel123/NEXT70_20260202103002.rar', re)).toEqual({ tenant: 'hotel123' });
    expect(classifyKey('backups/hotel123/NEXT70.BAK', re)).toEqual({ tenant: 'hotel123' });
    expect(classifyKey('backups/hotel123/set.part1.rar', re)).toEqual({ tenant: 'hotel123' });
    expect(classifyKey('backups/hotel123/set.part02.rar', re)).toMatchObject({ ignored: expect.stringMatching(/later volume/) });
    expect(classifyKey('backups/hotel123/readme.txt', re)).toMatchObject({ ignored: expect.stringMatching(/not a backup/) });
    expect(classifyKey('other/hotel123/x.zip', re)).toMatchObject({ ignored: expect.stringMatching(/does not match/) });
    expect(classifyKey('backups/bad tenant/x.zip', re)).toMatchObject({ ignored: expect.stringMatching(/not a valid tenant id/) });
    expect(classifyKey('backups/hotel123/', re)).toMatchObject({ ignored: 'folder marker' });
  });
  it('rejects patterns without a tenant group or that do not compile', () => {
    expect(() => compileTenantPattern('^(?<t>[^/]+)/')).toThrow(/named group/);
    expect(() => compileTenantPattern('^(?<tenant>[^/]+/')).toThrow(/not a valid regular expression/);
  });
  it('the workflow id depends on tenant, key and ETag only, whatever the ETag quoting', () => {
    const a = intakeWorkflowId('hotel1', 'hotel1/a.rar', '"ABCDEF0123456789abcdef0123456789"');
    expect(a).toMatch(/^tenant-hotel1-[0-9a-f]{12}$/);
    expect(intakeWorkflowId('hotel1', 'hotel1/a.rar', 'abcdef0123456789abcdef0123456789')).toBe(a);
    expect(intakeWorkflowId('hotel1', 'hotel1/b.rar', 'abcdef0123456789abcdef0123456789')).not.toBe(a);
    expect(intakeWorkflowId('hotel1', 'hotel1/a.rar', 'bbcdef0123456789abcdef0123456789')).not.toBe(a);
  });
  it('builds the tenantMigration input from the plan templates', () => {
    expect(migrationInputFor({ tenant: 'h1', bucket: 'b', key: 'h1/x.zip', etag: 'e', size: 1 }, {
      source: { server: 'ms' }, target: { server: 'pg', databaseTemplate: 'tenant_{tenant}' }, restoreDatabaseTemplate: 'r_{tenant}_{tenant}', waveId: 'w1',
    })).toEqual({ tenantId: 'h1', waveId: 'w1', source: { server: 'ms', database: 'r_h1_h1' }, target: { server: 'pg', database: 'tenant_h1' },
      backup: { bucket: 'b', key: 'h1/x.zip', etag: 'e' }, options: undefined });
  });
});

describe('S3 event notifications', () => {
  const record = (extra: object = {}) => ({ eventName: 'ObjectCreated:CompleteMultipartUpload',
    s3: { bucket: { name: 'uploads' }, object: { key: 'hotel%C3%A9/my+backup.rar', eTag: '0123abcd', size: 5 } }, ...extra });
  it('decodes keys (URL-encoding, + for space) and unwraps SNS notifications', () => {
    const direct = parseS3EventMessage(JSON.stringify({ Records: [record()] }));
    expect(direct).toEqual({ kind: 'records', otherEvents: 0, created: [{ bucket: 'uploads', key: 'hotelé/my backup.rar', etag: '0123abcd', size: 5 }] });
    const viaSns = parseS3EventMessage(JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ Records: [record()] }) }));
    expect(viaSns).toEqual(direct);
  });
  it('says why a message is malformed', () => {
    expect(parseS3EventMessage('{')).toEqual({ kind: 'malformed', reason: 'body is not JSON' });
    expect(parseS3EventMessage('{"foo":1}')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/no Records/) });
    expect(parseS3EventMessage(JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A', eTag: 'x' } } }] })))
      .toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/URL-encoded/) });
    expect(parseS3EventMessage(JSON.stringify({ Event: 's3:TestEvent' }))).toEqual({ kind: 'test' });
  });
});

describe('ETags and server paths', () => {
  it('recomputes single-part and multipart ETags (uneven parts too)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tmig-intake-etag-'));
    try {
      const data = Buffer.from('x'.repeat(1000) + 'y'.repeat(700));
      await writeFile(join(dir, 'f'), data);
      const md5 = (b: Buffer) => createHash('md5').update(b).digest();
      expect(await computeEtag(join(dir, 'f'), [data.length])).toBe(md5(data).toString('hex'));
      const parts = [data.subarray(0, 600), data.subarray(600, 1300), data.subarray(1300)];
      const expected = md5(Buffer.concat(parts.map(md5))).toString('hex') + '-3';
      expect(await computeEtag(join(dir, 'f'), [600, 700, 400])).toBe(expected);
      expect(normalizeEtag(`"${expected.toUpperCase()}"`)).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('joins server-side paths with the server\'s separator', () => {
    expect(serverSidePath('D:\\Backups', 'hotel1', 'hotel1.bak')).toBe('D:\\Backups\\hotel1\\hotel1.bak');
    expect(serverSidePath('\\\\nas\\share', 'h', 'h.bak')).toBe('\\\\nas\\share\\h\\h.bak');
    expect(serverSidePath('/var/opt/mssql/backup', 'h', 'h.bak')).toBe('/var/opt/mssql/backup/h/h.bak');
  });
});
