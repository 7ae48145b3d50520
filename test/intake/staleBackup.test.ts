/**
 * A `.bak` left in the backup share by an earlier upload is never restored under a new upload:
 * the placed file is reused only when its marker names the same object and ETag.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeBackup } from '../../src/archives/backupLocation';
import { parseConfig } from '../../src/config/loadConfig';
import { fakeBackup } from '../helpers/fixtureArchives';

describe('placing the backup of a tenant', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tmig-stale-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const config = parseConfig(JSON.stringify({
    servers: { ms: { kind: 'mssql', url: 'mssql://sa@sql1:1433/master', backupDir: { worker: join(tmp, 'share'), server: '/var/opt/mssql/backup' } } },
    workDir: join(tmp, 'work'),
  }), 'cfg.json');
  const extracted = (name: string, files: Record<string, Buffer>) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, data] of Object.entries(files)) writeFileSync(join(dir, f), data);
    return dir;
  };
  const bak = (seed: number) => Buffer.concat([Buffer.from('TAPE'), fakeBackup(1000, seed)]);
  const first = { bucket: 'b', key: 'hotel/2026-01.zip', etag: '"aaa"' };

  it('reuses the placed file on a retry of the same download, refuses it for a new upload without a .bak (or with two)', async () => {
    const dir1 = extracted('x1', { 'HOTEL.BAK': bak(1) });
    const placed = await placeBackup(config, { tenantId: 'hotel', dir: dir1, sourceServer: 'ms', origin: first });
    expect(readFileSync(placed.workerPath).equals(bak(1))).toBe(true);
    // Retry of the same download after the move: the extracted tree no longer has the .bak.
    expect(await placeBackup(config, { tenantId: 'hotel', dir: dir1, sourceServer: 'ms', origin: first })).toEqual(placed);

    // A new upload whose archive has no .bak: the old file must not be taken for it.
    const dir2 = extracted('x2', { 'readme.txt': Buffer.from('no backup here') });
    await expect(placeBackup(config, { tenantId: 'hotel', dir: dir2, sourceServer: 'ms', origin: { ...first, key: 'hotel/2026-02.zip', etag: '"bbb"' } }))
      .rejects.toMatchObject({ type: 'NoBackupFound' });
    // The same key uploaded again (another ETag): also refused.
    await expect(placeBackup(config, { tenantId: 'hotel', dir: dir2, sourceServer: 'ms', origin: { ...first, etag: '"ccc"' } }))
      .rejects.toMatchObject({ type: 'NoBackupFound' });
    // Two .bak files: refused, never the old one.
    const dir3 = extracted('x3', { 'A.BAK': bak(2), 'B.bak': bak(3) });
    await expect(placeBackup(config, { tenantId: 'hotel', dir: dir3, sourceServer: 'ms', origin: { ...first, etag: '"ddd"' } }))
      .rejects.toMatchObject({ type: 'NoBackupFound', message: expect.stringMatching(/several \.bak files/) });
    // Without a known origin nothing proves where the placed file came from.
    await expect(placeBackup(config, { tenantId: 'hotel', dir: dir2, sourceServer: 'ms' })).rejects.toMatchObject({ type: 'NoBackupFound' });

    // A new upload with a .bak replaces the placed file and its marker.
    const next = { ...first, key: 'hotel/2026-03.zip', etag: '"eee"' };
    const dir4 = extracted('x4', { 'HOTEL.BAK': bak(4) });
    const replaced = await placeBackup(config, { tenantId: 'hotel', dir: dir4, sourceServer: 'ms', origin: next });
    expect(readFileSync(replaced.workerPath).equals(bak(4))).toBe(true);
    expect(await placeBackup(config, { tenantId: 'hotel', dir: dir4, sourceServer: 'ms', origin: next })).toEqual(replaced);
  });
});
