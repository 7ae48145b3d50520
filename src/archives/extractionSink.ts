import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FailureType, PermanentError } from '../contract/failures';

export interface ExtractionLimits {
  /** Refuse when extracted bytes exceed this multiple of the archive's size ("zip bomb"). */
  maxRatio: number;
  /** The ratio is only enforced once this much has been written (small files compress absurdly well too). */
  ratioFloorBytes: number;
  /** Refuse archives with more entries than this. */
  maxEntries: number;
  /** Never write more than this in total (the free disk space); exceeding it is a retryable ENOSPC error. */
  maxBytes: number;
}

/**
 * Real SQL Server backups compress 3-50:1; deflate cannot exceed ~1030:1 even on zeros, LZMA/bzip2 can reach
 * millions. 1000:1 leaves wide room for legitimate backups and still stops a bomb after its first 64 MiB.
 */
export const defaultLimits: ExtractionLimits = {
  maxRatio: 1000,
  ratioFloorBytes: 64 * 1024 * 1024,
  maxEntries: 10_000,
  maxBytes: Number.MAX_SAFE_INTEGER,
};

/**
 * The only place extracted bytes reach the disk. Every entry name is checked to stay inside the target
 * directory; links are never created (a link inside the archive to a file already written becomes a copy
 * for hard links and is skipped for symlinks; a link pointing outside is refused); and the running output
 * size is checked against the compression-ratio and total limits while streaming.
 */
export class ExtractionSink {
  readonly files: string[] = [];
  readonly skipped: string[] = [];
  private written = 0;
  private entries = 0;
  private readonly root: string;

  constructor(root: string, private readonly archive: string, private readonly archiveBytes: number,
    private readonly limits: ExtractionLimits) {
    this.root = resolve(root);
  }

  get bytesWritten(): number {
    return this.written;
  }

  private reject(message: string): PermanentError {
    return new PermanentError(FailureType.ArchiveRejected, `archive ${this.archive}: ${message}`);
  }

  /** Normalized relative path of an entry name, or a rejection for absolute, drive-letter, `..` or NUL names. */
  relativePath(entryName: string): string {
    const name = entryName.replace(/\\/g, '/');
    if (name.includes('\0')) throw this.reject(`entry name contains NUL: ${JSON.stringify(entryName)}`);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw this.reject(`entry "${entryName}" has an absolute path`);
    if (name.split('/').includes('..')) throw this.reject(`entry "${entryName}" escapes the extraction directory (path traversal)`);
    const rel = posix.normalize(name).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (!rel || rel === '.') throw this.reject(`entry "${entryName}" has an empty name`);
    return rel;
  }

  private target(rel: string): string {
    const full = resolve(this.root, rel);
    if (full !== this.root && !full.startsWith(this.root + sep)) throw this.reject(`entry "${rel}" resolves outside the extraction directory`);
    return full;
  }

  private countEntry(): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) throw this.reject(`more than ${this.limits.maxEntries} entries`);
  }

  /** Checks a size the archive declares before extracting anything (formats that declare sizes). */
  checkDeclared(totalUncompressed: number): void {
    this.checkVolume(totalUncompressed, 'declares');
  }

  private checkVolume(bytes: number, verb: string): void {
    if (bytes > this.limits.maxBytes) {
      // Not the archive's fault: a full work disk. Coded like the OS error so every layer treats it as transient.
      throw Object.assign(new Error(`archive ${this.archive} ${verb} ${bytes} bytes but only ${this.limits.maxBytes} may be written `
        + `(free space of the work disk); retrying later`), { code: 'ENOSPC' });
    }
    const ratio = bytes / Math.max(this.archiveBytes, 1);
    if (bytes > this.limits.ratioFloorBytes && ratio > this.limits.maxRatio) {
      throw this.reject(`${verb} ${bytes} bytes from ${this.archiveBytes} (ratio ${Math.round(ratio)}:1, limit ${this.limits.maxRatio}:1): refusing a likely decompression bomb`);
    }
  }

  async directory(entryName: string): Promise<void> {
    this.countEntry();
    await mkdir(this.target(this.relativePath(entryName)), { recursive: true });
  }

  /** Streams one file entry to disk, counting bytes against the limits as they arrive. */
  async file(entryName: string, content: AsyncIterable<Buffer> | NodeJS.ReadableStream): Promise<void> {
    this.countEntry();
    const rel = this.relativePath(entryName);
    const full = this.target(rel);
    await mkdir(dirname(full), { recursive: true });
    const guard = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.written += chunk.length;
        try {
          this.checkVolume(this.written, 'expands to more than');
          cb(null, chunk);
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    await pipeline(content as NodeJS.ReadableStream, guard, createWriteStream(full));
    if (!this.files.includes(rel)) this.files.push(rel);
  }

  /** A symbolic link entry: refused if it points outside, otherwise recorded and not created. */
  symlink(entryName: string, linkTarget: string): void {
    this.countEntry();
    const rel = this.relativePath(entryName);
    const t = linkTarget.replace(/\\/g, '/');
    const resolved = posix.normalize(posix.join(posix.dirname(rel), t));
    if (t.startsWith('/') || /^[A-Za-z]:/.test(t) || resolved === '..' || resolved.startsWith('../')) {
      throw this.reject(`symlink "${rel}" -> "${linkTarget}" points outside the extraction directory`);
    }
    this.skipped.push(`${rel} (symlink to ${linkTarget}, not created)`);
  }

  /** A hard link entry: its target must be a file already extracted from this archive; it becomes a copy. */
  async hardlink(entryName: string, linkTarget: string): Promise<void> {
    this.countEntry();
    const rel = this.relativePath(entryName);
    let targetRel: string;
    try {
      targetRel = this.relativePath(linkTarget);
    } catch {
      throw this.reject(`hard link "${rel}" -> "${linkTarget}" points outside the extraction directory`);
    }
    if (!this.files.includes(targetRel)) {
      throw this.reject(`hard link "${rel}" -> "${linkTarget}" does not point at a file extracted from the archive`);
    }
    const full = this.target(rel);
    await mkdir(dirname(full), { recursive: true });
    await copyFile(this.target(targetRel), full);
    this.written += (await stat(full)).size;
    this.checkVolume(this.written, 'expands to more than');
    this.files.push(rel);
  }

  /** An entry kind that has no business in a backup archive (device, fifo, ...). */
  unsupported(entryName: string, kind: string): never {
    throw this.reject(`entry "${entryName}" is a ${kind}, which is not extracted`);
  }

  pathOf(rel: string): string {
    return join(this.root, rel);
  }
}
