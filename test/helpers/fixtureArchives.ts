/**
 * Small archives made at test time (zip, tar, tar.gz, gz, 7z), including hostile ones, and the real RAR
 * fixtures read in place from ../shared/fixtures (never copied into the project).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { sevenZipBinary } from '../../src/archives/extractors/sevenZipInspect';

/** Bytes that look like a SQL Server backup: the MTF "TAPE" media header, then deterministic filler. */
export function fakeBackup(size = 4096, seed = 1): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf[i] = x >>> 16;
  }
  buf.write('TAPE', 0, 'latin1');
  return buf;
}

export interface ZipEntry {
  name: string;
  data?: Buffer;
  deflate?: boolean;
  /** Sets the "encrypted" flag (the data is not really encrypted; readers must refuse before reading it). */
  encrypted?: boolean;
  /** Unix mode in the external attributes, e.g. 0o120777 for a symlink (data = link target). */
  mode?: number;
  /** Corrupts the stored CRC. */
  badCrc?: boolean;
}

/** A minimal zip writer (local headers, central directory, end record) so hostile entries can be made at will. */
export function zipBuffer(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const packed = e.deflate ? deflateRawSync(data) : data;
    // ZipCrypto puts a 12-byte encryption header before the data.
    const body = e.encrypted ? Buffer.concat([Buffer.alloc(12, 0xa5), packed]) : packed;
    const name = Buffer.from(e.name, 'utf8');
    const crc = (crc32(data) ^ (e.badCrc ? 1 : 0)) >>> 0;
    const flags = (e.encrypted ? 1 : 0) | 0x800;
    const method = e.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? (e.name.endsWith('/') ? 0o040755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export interface TarEntry {
  path: string;
  data?: Buffer;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO';
  linkpath?: string;
}

/** A ustar stream written header by header (node-tar's Header), so names like `../x` stay as given. */
export function tarBuffer(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const h = new Header({ path: e.path, type: e.type ?? 'File', size: e.type && e.type !== 'File' ? 0 : data.length,
      linkpath: e.linkpath, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if ((e.type ?? 'File') === 'File' && data.length) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const tarGzBuffer = (entries: TarEntry[]) => gzipSync(tarBuffer(entries));

/** A 7z made by the 7za binary that 7zip-min ships; `password` encrypts data, `encryptHeaders` the names too. */
export async function make7z(out: string, files: Record<string, Buffer>, opts: { password?: string; encryptHeaders?: boolean } = {}): Promise<string> {
  const src = `${out}.src`;
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(src, name)), { recursive: true });
    await writeFile(join(src, name), data);
  }
  const args = ['a', '-bd', '-y', out, '.'];
  if (opts.password) args.push(`-p${opts.password}`);
  if (opts.encryptHeaders) args.push('-mhe=on');
  execFileSync(sevenZipBinary(), args, { cwd: src, stdio: 'ignore' });
  return out;
}

/**
 * `../shared/fixtures/archives` from the project root (or `$TMIG_SHARED_DIR/fixtures/archives`, for a
 * checkout that does not sit beside shared/), or undefined outside this workplace.
 */
export function rarFixturesDir(): string | undefined {
  const shared = process.env.TMIG_SHARED_DIR ?? resolve(__dirname, '..', '..', '..', 'shared');
  const dir = join(shared, 'fixtures', 'archives');
  return existsSync(join(dir, 'rar5')) ? dir : undefined;
}

export function hasBsdtar(): boolean {
  try {
    execFileSync('bsdtar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
