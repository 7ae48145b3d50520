import type { Context } from '@temporalio/activity';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MigratorConfig } from '../config/configSchema';
import { FailureType, PermanentError } from '../contract/failures';
import { claimedArchive, detectFormat, readHead, type ArchiveFormat } from './archiveFormat';
import { defaultLimits, ExtractionSink, type ExtractionLimits } from './extractionSink';
import { extractGzip } from './extractors/gzip';
import { extractViaLibarchive } from './extractors/libarchive';
import { inspect7z } from './extractors/sevenZipInspect';
import { inspectRar } from './extractors/rarInspect';
import { extractTarStream } from './extractors/tarStream';
import { extractZip } from './extractors/zip';
import { parseVolumeName, volumeSet } from './rarVolumes';
import { extractDir, freeBytes, listFiles, tenantWorkDir } from './workDir';

export interface ExtractResult {
  dir: string;
  /** Extracted regular files, relative to `dir`, `/`-separated. */
  files: string[];
  format: ArchiveFormat;
  bytes: number;
  /** Entries deliberately not extracted (links inside the archive). */
  skipped: string[];
}

/** The volumes of a multi-volume RAR set that sit next to its first volume. */
async function rarVolumes(path: string): Promise<string[]> {
  const name = basename(path);
  const v = parseVolumeName(name);
  if (!v) return [path];
  const set = volumeSet(name, await readdir(dirname(path)));
  const numbers = set.map((n) => parseVolumeName(n)!.number);
  if (v.number !== 1 || numbers.some((n, i) => n !== i + 1)) {
    throw new PermanentError(FailureType.ArchiveCorrupt,
      `archive ${name}: multi-volume set must start at part 1 and be complete (found parts ${numbers.join(', ')})`);
  }
  return set.map((n) => join(dirname(path), n));
}

/** Output name for a single gzipped file: the archive name without `.gz`. */
function gunzippedName(name: string): string {
  const stripped = name.replace(/\.gz$/i, '');
  return stripped && stripped !== name ? stripped : `${name}.out`;
}

/**
 * Extracts one archive into `outDir` (emptied first, so a retry starts clean) through the sink's checks.
 * Throws ArchiveCorrupt, ArchiveRejected (traversal, links out, bomb, unsupported entry), ArchiveEncrypted
 * or NoBackupFound (empty archive) as non-retryable PermanentErrors.
 */
export async function extractArchiveFile(path: string, outDir: string, limits: Partial<ExtractionLimits> = {}): Promise<ExtractResult> {
  const name = basename(path);
  const size = (await stat(path)).size;
  if (size === 0) throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${name} is an empty (0-byte) file`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const format = detectFormat(await readHead(path), name);
  const volumes = format === 'rar' ? await rarVolumes(path) : [path];
  let archiveBytes = size;
  for (const v of volumes.slice(1)) archiveBytes += (await stat(v)).size;
  const free = await freeBytes(outDir);
  const sink = new ExtractionSink(outDir, name, archiveBytes, { ...defaultLimits, maxBytes: free, ...limits });

  switch (format) {
    case 'bak': {
      // A bare backup needs no extraction: hard-link it (same disk) or copy it.
      const dest = join(outDir, name);
      await link(path, dest).catch(() => copyFile(path, dest));
      sink.files.push(name);
      break;
    }
    case 'zip':
      await extractZip(path, name, sink);
      break;
    case 'gzip':
      await extractGzip(path, name, gunzippedName(name), sink);
      break;
    case 'tar':
      await extractTarStream(createReadStream(path), name, sink);
      break;
    case 'rar': {
      const listing = await inspectRar(path, name);
      sink.checkDeclared(listing.declaredBytes);
      await extractViaLibarchive(volumes, name, sink, 'stream');
      break;
    }
    case '7z': {
      const listing = await inspect7z(path, name);
      sink.checkDeclared(listing.declaredBytes);
      await extractViaLibarchive([path], name, sink, 'file');
      break;
    }
    default:
      if (claimedArchive(name)) throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${name} is corrupt: its content is not a ${name.split('.').pop()} archive`);
      throw new PermanentError(FailureType.ArchiveRejected,
        `${name} is neither a supported archive (rar, zip, 7z, gz, tar, tar.gz) nor a SQL Server backup`);
  }
  const files = await listFiles(outDir);
  if (files.length === 0) {
    throw new PermanentError(FailureType.NoBackupFound, `archive ${name} contains no files${sink.skipped.length ? ` (only ${sink.skipped.join(', ')})` : ''}`);
  }
  return { dir: outDir, files, format, bytes: sink.bytesWritten, skipped: sink.skipped };
}

export interface ExtractArchiveInput {
  tenantId: string;
  path: string;
  limits?: Partial<ExtractionLimits>;
}

/** Extracts a tenant's fetched archive into its work directory, unless a completion marker says it already was. */
export async function extractTenantArchive(config: MigratorConfig, input: ExtractArchiveInput, ctx: Pick<Context, 'heartbeat' | 'log'>): Promise<{ dir: string; files: string[] }> {
  const outDir = extractDir(tenantWorkDir(config, input.tenantId));
  const marker = `${outDir}.done.json`;
  const source = await stat(input.path);
  try {
    const done = JSON.parse(await readFile(marker, 'utf8')) as { path: string; mtimeMs: number; files: string[] };
    if (done.path === input.path && done.mtimeMs === source.mtimeMs) return { dir: outDir, files: done.files };
  } catch {
    // not extracted yet
  }
  await rm(marker, { force: true });
  const beat = setInterval(() => ctx.heartbeat({ archive: basename(input.path) }), 5000);
  try {
    const res = await extractArchiveFile(input.path, outDir, input.limits);
    ctx.log.info('archive extracted', { tenantId: input.tenantId, archive: basename(input.path), format: res.format,
      files: res.files.length, bytes: res.bytes, skipped: res.skipped });
    await writeFile(marker, JSON.stringify({ path: input.path, mtimeMs: source.mtimeMs, files: res.files }));
    return { dir: res.dir, files: res.files };
  } finally {
    clearInterval(beat);
  }
}
