import { createExtractorFromData } from 'node-unrar-js';
import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchiveFile } from '../../src/archives/archiveExtraction';
import { findBackupFile } from '../../src/archives/backupLocation';
import { fakeBackup, hasBsdtar, make7z, rarFixturesDir, tarBuffer, tarGzBuffer, zipBuffer } from '../helpers/fixtureArchives';

const bsdtar = hasBsdtar();
if (!bsdtar) console.warn('SKIPPING RAR and 7z extraction tests: bsdtar not installed (apt-get install libarchive-tools)');
const fixtures = rarFixturesDir();
if (!fixtures) console.warn('SKIPPING real RAR fixture tests: ../shared/fixtures/archives is absent (only present in the tmig workplace)');

let tmp: string;
let n = 0;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'tmig-intake-extract-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

async function archive(name: string, data: Buffer): Promise<string> {
  const dir = join(tmp, `in${++n}`);
  await rm(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}
const outDir = () => join(tmp, `out${++n}`);

/** Every path under dir, checking none of them is a symlink. */
async function assertNoLinks(dir: string): Promise<void> {
  for (const e of await readdir(dir, { recursive: true })) {
    expect((await lstat(join(dir, e as string))).isSymbolicLink(), `${e} is a symlink`).toBe(false);
  }
}

async function expectType(p: Promise<unknown>, type: string, message?: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e) as { type?: string; message?: string } | undefined;
  expect(err, `expected ${type}, got success`).toBeDefined();
  expect(err!.type, err!.message).toBe(type);
  if (message) expect(err!.message).toMatch(message);
}

describe('every archive format yields the .bak with its media header', () => {
  const bak = fakeBackup(64 * 1024, 7);
  const cases: [string, () => Promise<string>][] = [
    ['zip (deflate)', () => archive('hotel1.zip', zipBuffer([{ name: 'backup/', data: undefined }, { name: 'backup/NEXT70.BAK', data: bak, deflate: true }, { name: 'readme.txt', data: Buffer.from('hi') }]))],
    ['zip (stored)', () => archive('hotel1.zip', zipBuffer([{ name: 'NEXT70.bak', data: bak }]))],
    ['tar', () => archive('hotel1.tar', tarBuffer([{ path: 'db/NEXT70.bak', data: bak }]))],
    ['tar.gz', () => archive('hotel1.tar.gz', tarGzBuffer([{ path: 'NEXT70.bak', data: bak }, { path: 'notes.txt', data: Buffer.from('x') }]))],
    ['tgz', () => archive('hotel1.tgz', tarGzBuffer([{ path: 'NEXT70.bak', data: bak }]))],
    ['gz (single file)', () => archive('NEXT70.bak.gz', gzipSync(bak))],
    ['bare .bak', () => archive('NEXT70.bak', bak)],
  ];
  for (const [label, make] of cases) {
    it(label, async () => {
      const res = await extractArchiveFile(await make(), outDir());
      const found = await findBackupFile(res.dir);
      expect(found.toLowerCase()).toMatch(/next70\.bak$/);
      expect((await readFile(found)).equals(bak)).toBe(true);
    });
  }
  it.skipIf(!bsdtar)('7z (7za-made, listed by 7za, decoded by libarchive)', async () => {
    const p = await make7z(join(tmp, 'hotel7.7z'), { 'data/NEXT70.bak': bak, 'info.txt': Buffer.from('info') });
    const res = await extractArchiveFile(p, outDir());
    expect(res.files).toEqual(['data/NEXT70.bak', 'info.txt']);
    expect((await readFile(await findBackupFile(res.dir))).equals(bak)).toBe(true);
  });
});

describe.skipIf(!fixtures || !bsdtar)('real RAR archives (../shared/fixtures, read in place)', () => {
  const rar = (p: string) => join(fixtures!, p);

  /** Contents as RARLAB's unrar (node-unrar-js, in memory: fine for these tiny files) decodes them. */
  async function unrarContents(path: string): Promise<Map<string, Buffer>> {
    const buf = await readFile(path);
    const ex = await createExtractorFromData({ data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer });
    const out = new Map<string, Buffer>();
    for (const f of ex.extract().files) if (f.extraction && !f.fileHeader.flags.directory) out.set(f.fileHeader.name, Buffer.from(f.extraction));
    return out;
  }

  for (const f of ['rar5/stored.rar', 'rar5/compressed.rar', 'rar5/solid.rar', 'rar5/multiple_files.rar', 'rar5/multiple_files_solid.rar',
    'rar5/stored_manyfiles.rar', 'rar5/win32.rar', 'rar4/WithComment.rar', 'rar4/FolderTest.rar', 'rar5/zip_in_rar.rar']) {
    it(`${f}: same bytes as unrar decodes`, async () => {
      const res = await extractArchiveFile(rar(f), outDir());
      const expected = await unrarContents(rar(f));
      expect(res.files.length).toBe(expected.size);
      for (const [name, data] of expected) {
        expect((await readFile(join(res.dir, name.replace(/\\/g, '/')))).equals(data), name).toBe(true);
      }
    });
  }

  it('zip_in_rar: the RAR is read as RAR (not as the zip inside it)', async () => {
    const res = await extractArchiveFile(rar('rar5/zip_in_rar.rar'), outDir());
    expect(res.files).toEqual(['payload/inner.zip', 'payload/real_after.txt']);
  });

  it('unicode names (RAR5), links inside are not created as links', async () => {
    const res = await extractArchiveFile(rar('rar5/unicode.rar'), outDir());
    expect(res.files).toContain('👋🌎.txt');
    expect(res.files).toContain('Ⓗⓐⓡⓓ Ⓛⓘⓝⓚ.txt'); // hard link -> a copy
    expect(await readFile(join(res.dir, 'Ⓗⓐⓡⓓ Ⓛⓘⓝⓚ.txt'))).toEqual(await readFile(join(res.dir, '👋🌎.txt')));
    expect(res.skipped.join()).toMatch(/symlink/);
    await assertNoLinks(res.dir);
  });

  it('symlink.rar: symlinks inside the archive are skipped, never created', async () => {
    const res = await extractArchiveFile(rar('rar5/symlink.rar'), outDir());
    expect(res.files).toEqual(['file.txt']);
    expect(res.skipped).toHaveLength(2);
    await assertNoLinks(res.dir);
  });

  it('hardlink.rar: the hard link becomes an independent copy of its target', async () => {
    const res = await extractArchiveFile(rar('rar5/hardlink.rar'), outDir());
    expect(res.files).toEqual(['file.txt', 'hardlink.txt']);
    const a = await lstat(join(res.dir, 'file.txt'));
    const b = await lstat(join(res.dir, 'hardlink.txt'));
    expect(a.ino).not.toBe(b.ino);
    expect(await readFile(join(res.dir, 'hardlink.txt'))).toEqual(await readFile(join(res.dir, 'file.txt')));
  });

  it('rar4 libarchive_basic: files and directory, the symlink skipped', async () => {
    const res = await extractArchiveFile(rar('rar4/libarchive_basic.rar'), outDir());
    expect(res.files).toEqual(['test.txt', 'testdir/test.txt']);
    expect(res.skipped.join()).toMatch(/testlink/);
  });

  it('multi-volume RAR5 (8 parts) from part01, volumes found next to it', async () => {
    const res = await extractArchiveFile(rar('rar5/multiarchive.part01.rar'), outDir());
    expect(res.files).toEqual(['home/antek/temp/build/unrar5/libarchive/bin/bsdcat_test', 'home/antek/temp/build/unrar5/libarchive/bin/bsdtar_test']);
    expect(res.bytes).toBe(144608 + 365672);
  });

  it('multi-volume RAR4 (3 parts)', async () => {
    const res = await extractArchiveFile(rar('rar4/multivolume_single_file.part1.rar'), outDir());
    expect(res.files).toEqual(['LibarchiveAddingTest.html']);
    expect((await readFile(join(res.dir, 'LibarchiveAddingTest.html'), 'utf8'))).toMatch(/<html/i);
    expect(res.bytes).toBe(20111);
  });

  it('a later volume alone is refused as an incomplete set', async () => {
    await expectType(extractArchiveFile(rar('rar5/multiarchive.part02.rar'), outDir()), 'ArchiveCorrupt', /part 1/);
  });

  for (const f of ['rar5/encrypted.rar', 'rar5/solid_encrypted.rar', 'rar5/encrypted_filenames.rar', 'rar4/HeaderEnc1234.rar', 'rar4/FileEncByName.rar']) {
    it(`${f} -> ArchiveEncrypted`, async () => {
      const out = outDir();
      await expectType(extractArchiveFile(rar(f), out), 'ArchiveEncrypted', /encrypted/);
      expect(await readdir(out)).toEqual([]);
    });
  }

  it('rar5/truncated_huff.rar -> ArchiveCorrupt', async () => {
    await expectType(extractArchiveFile(rar('rar5/truncated_huff.rar'), outDir()), 'ArchiveCorrupt', /truncated_huff\.rar is corrupt/);
  });
});

describe('hostile archives are refused with a typed, non-retryable error', () => {
  const bak = fakeBackup(1024);
  it('zip path traversal -> ArchiveRejected, nothing written outside', async () => {
    const out = outDir();
    await expectType(extractArchiveFile(await archive('evil.zip', zipBuffer([{ name: '../../evil.bak', data: bak }])), out), 'ArchiveRejected', /traversal|relative path/);
    await expect(lstat(join(out, '..', '..', 'evil.bak'))).rejects.toThrow();
  });
  it('zip absolute path -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('abs.zip', zipBuffer([{ name: '/tmp/evil.bak', data: bak }])), outDir()), 'ArchiveRejected');
  });
  it('tar path traversal -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('evil.tar', tarBuffer([{ path: 'ok.txt', data: Buffer.from('ok') }, { path: 'a/../../evil.bak', data: bak }])), outDir()), 'ArchiveRejected', /traversal/);
  });
  it('tar absolute path -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('abs.tar', tarBuffer([{ path: '/etc/evil.bak', data: bak }])), outDir()), 'ArchiveRejected', /absolute/);
  });
  it('tar symlink out of the directory -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('link.tar.gz', tarGzBuffer([{ path: 'x', type: 'SymbolicLink', linkpath: '../../../etc' }, { path: 'x/passwd', data: bak }])), outDir()), 'ArchiveRejected', /symlink/);
  });
  it('tar hard link to a file outside -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('hl.tar', tarBuffer([{ path: 'db.bak', type: 'Link', linkpath: '/etc/passwd' }])), outDir()), 'ArchiveRejected', /hard link/);
  });
  it('zip symlink entry out of the directory -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('zl.zip', zipBuffer([{ name: 'db.bak', data: Buffer.from('/etc/shadow'), mode: 0o120777 }])), outDir()), 'ArchiveRejected', /symlink/);
  });
  it('tar device/fifo entries -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('fifo.tar', tarBuffer([{ path: 'pipe', type: 'FIFO' }])), outDir()), 'ArchiveRejected', /FIFO/);
  });
  // Deflate tops out near 1030:1 even on zeros, so these show the mechanism with a 100:1 limit.
  it('zip bomb (declared sizes) -> ArchiveRejected before anything is written', async () => {
    const out = outDir();
    const p = await archive('bomb.zip', zipBuffer([{ name: 'a.bak', data: Buffer.alloc(8 * 1024 * 1024), deflate: true }]));
    await expectType(extractArchiveFile(p, out, { ratioFloorBytes: 1024 * 1024, maxRatio: 100 }), 'ArchiveRejected', /decompression bomb/);
    expect(await readdir(out)).toEqual([]);
  });
  it('gzip bomb (no trustworthy declared size) -> stopped while streaming', async () => {
    const out = outDir();
    const p = await archive('bomb.bak.gz', gzipSync(Buffer.alloc(16 * 1024 * 1024)));
    await expectType(extractArchiveFile(p, out, { ratioFloorBytes: 1024 * 1024, maxRatio: 100 }), 'ArchiveRejected', /decompression bomb/);
    expect((await lstat(join(out, 'bomb.bak'))).size).toBeLessThan(4 * 1024 * 1024);
  });
  it('tar.gz bomb -> stopped while streaming', async () => {
    const p = await archive('bomb.tgz', tarGzBuffer([{ path: 'a.bak', data: Buffer.alloc(16 * 1024 * 1024) }]));
    await expectType(extractArchiveFile(p, outDir(), { ratioFloorBytes: 1024 * 1024, maxRatio: 100 }), 'ArchiveRejected', /decompression bomb/);
  });
  it.skipIf(!bsdtar)('7z bomb (declared sizes) -> ArchiveRejected with the default 1000:1 limit', async () => {
    const p = await make7z(join(tmp, 'bomb.7z'), { 'a.bak': Buffer.alloc(8 * 1024 * 1024) });
    await expectType(extractArchiveFile(p, outDir(), { ratioFloorBytes: 1024 * 1024 }), 'ArchiveRejected', /decompression bomb/);
  });
  it('more content than the work disk can take -> a transient ENOSPC error, not a verdict on the archive', async () => {
    const err = await extractArchiveFile(await archive('big.tar.gz', tarGzBuffer([{ path: 'a.bak', data: fakeBackup(300_000) }])), outDir(), { maxBytes: 100_000 })
      .catch((e: unknown) => e) as { code?: string; type?: string; message: string };
    expect(err.code).toBe('ENOSPC');
    expect(err.type).toBeUndefined();
    expect(err.message).toMatch(/free space/);
  });
  it('too many entries -> ArchiveRejected', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ path: `f${i}.txt`, data: Buffer.from('x') }));
    await expectType(extractArchiveFile(await archive('many.tar', tarBuffer(entries)), outDir(), { maxEntries: 20 }), 'ArchiveRejected', /entries/);
  });

  it('truncated zip -> ArchiveCorrupt', async () => {
    const z = zipBuffer([{ name: 'a.bak', data: bak, deflate: true }]);
    await expectType(extractArchiveFile(await archive('cut.zip', z.subarray(0, z.length - 30)), outDir()), 'ArchiveCorrupt');
  });
  it('zip with a wrong CRC -> ArchiveCorrupt', async () => {
    await expectType(extractArchiveFile(await archive('crc.zip', zipBuffer([{ name: 'a.bak', data: bak, deflate: true, badCrc: true }])), outDir()), 'ArchiveCorrupt', /CRC/);
  });
  it('damaged gzip -> ArchiveCorrupt', async () => {
    const g = gzipSync(bak);
    for (let i = 20; i < 60; i += 1) g[i] ^= 0x5a;
    await expectType(extractArchiveFile(await archive('bad.bak.gz', g), outDir()), 'ArchiveCorrupt');
  });
  it('truncated tar.gz -> ArchiveCorrupt', async () => {
    const g = tarGzBuffer([{ path: 'a.bak', data: fakeBackup(200_000) }]);
    await expectType(extractArchiveFile(await archive('cut.tar.gz', g.subarray(0, Math.floor(g.length / 2))), outDir()), 'ArchiveCorrupt');
  });
  it.skipIf(!bsdtar)('truncated 7z -> ArchiveCorrupt', async () => {
    const p = await make7z(join(tmp, 'whole.7z'), { 'a.bak': fakeBackup(100_000) });
    const buf = await readFile(p);
    await expectType(extractArchiveFile(await archive('cut.7z', buf.subarray(0, buf.length - 200)), outDir()), 'ArchiveCorrupt');
  });
  it('an archive name over garbage -> ArchiveCorrupt; an unknown file -> ArchiveRejected', async () => {
    await expectType(extractArchiveFile(await archive('x.rar', Buffer.from('this is not a rar at all')), outDir()), 'ArchiveCorrupt');
    await expectType(extractArchiveFile(await archive('x.docx2', Buffer.from('hello')), outDir()), 'ArchiveRejected');
  });

  it('empty zip, empty tar -> NoBackupFound; 0-byte file -> ArchiveCorrupt', async () => {
    await expectType(extractArchiveFile(await archive('empty.zip', zipBuffer([])), outDir()), 'NoBackupFound', /no files/);
    await expectType(extractArchiveFile(await archive('empty.tar', Buffer.alloc(1024)), outDir()), 'NoBackupFound', /no files/);
    await expectType(extractArchiveFile(await archive('zero.zip', Buffer.alloc(0)), outDir()), 'ArchiveCorrupt', /0-byte/);
  });

  it('encrypted zip -> ArchiveEncrypted', async () => {
    await expectType(extractArchiveFile(await archive('enc.zip', zipBuffer([{ name: 'a.bak', data: bak, encrypted: true }])), outDir()), 'ArchiveEncrypted');
  });
  it.skipIf(!bsdtar)('encrypted 7z (data only, and headers too) -> ArchiveEncrypted', async () => {
    await expectType(extractArchiveFile(await make7z(join(tmp, 'enc.7z'), { 'a.bak': bak }, { password: 'pw' }), outDir()), 'ArchiveEncrypted');
    await expectType(extractArchiveFile(await make7z(join(tmp, 'henc.7z'), { 'a.bak': bak }, { password: 'pw', encryptHeaders: true }), outDir()), 'ArchiveEncrypted');
  });
});

describe('locating the .bak', () => {
  it('none -> NoBackupFound listing the files; several -> NoBackupFound; no TAPE header -> NotABackup', async () => {
    const none = await extractArchiveFile(await archive('n.tar', tarBuffer([{ path: 'a.txt', data: Buffer.from('a') }, { path: 'b/c.mdf', data: Buffer.from('c') }])), outDir());
    await expectType(findBackupFile(none.dir), 'NoBackupFound', /a\.txt, b\/c\.mdf/);
    const two = await extractArchiveFile(await archive('t.tar', tarBuffer([{ path: 'a.bak', data: fakeBackup() }, { path: 'B.BAK', data: fakeBackup() }])), outDir());
    await expectType(findBackupFile(two.dir), 'NoBackupFound', /several/);
    const fake = await extractArchiveFile(await archive('f.zip', zipBuffer([{ name: 'db.bak', data: Buffer.from('MZ not a backup') }])), outDir());
    await expectType(findBackupFile(fake.dir), 'NotABackup', /TAPE/);
  });
});
