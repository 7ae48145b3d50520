import { open } from 'node:fs/promises';

export type ArchiveFormat = 'rar' | 'zip' | '7z' | 'gzip' | 'tar' | 'bak' | 'unknown';

/** SQL Server backups are Microsoft Tape Format: the media header block starts with "TAPE". */
export const MTF_MAGIC = 'TAPE';

export async function readHead(path: string, bytes = 512): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Format by content (magic bytes), falling back to the name only where a format has no magic (v7 tar). */
export function detectFormat(head: Buffer, name: string): ArchiveFormat {
  const s = (start: number, end: number) => head.subarray(start, end).toString('latin1');
  if (s(0, 6) === 'Rar!\x1a\x07') return 'rar';
  if (s(0, 4) === 'PK\x03\x04' || s(0, 4) === 'PK\x05\x06' || s(0, 4) === 'PK\x07\x08') return 'zip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (s(257, 262) === 'ustar') return 'tar';
  if (s(0, 4) === MTF_MAGIC) return 'bak';
  const lower = name.toLowerCase();
  if (lower.endsWith('.tar')) return 'tar';
  if (lower.endsWith('.bak')) return 'bak';
  return 'unknown';
}

/** Extensions that promise an archive: content that does not match them is a corrupt archive, not an unknown file. */
export function claimedArchive(name: string): boolean {
  return /\.(rar|zip|7z|gz|tgz|tar)$/i.test(name);
}
