import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix, win32 } from 'node:path';
import { backupDirOf, serverConfig } from '../config/loadConfig';
import type { MigratorConfig } from '../config/configSchema';
import { BadInputError, FailureType, PermanentError } from '../contract/failures';
import { MTF_MAGIC, readHead } from './archiveFormat';
import { listFiles, tenantWorkDir } from './workDir';

export interface LocateBackupInput {
  tenantId: string;
  dir: string;
  /** SQL Server that will restore the backup (`servers.<name>` with `backupDir`). */
  sourceServer: string;
  /**
   * The download the extracted tree came from. A `.bak` already placed for the tenant is reused
   * (after a retry moved it) only when its marker names this same object and ETag.
   */
  origin?: BackupOrigin;
}

export interface BackupOrigin {
  bucket: string;
  key: string;
  etag: string;
}

export interface LocateBackupResult {
  /** Where the worker placed the .bak. */
  workerPath: string;
  /** The same file as the SQL Server host sees it (for RESTORE ... FROM DISK). */
  serverPath: string;
  bytes: number;
}

/** True when the file starts with the Microsoft Tape Format media header that every SQL Server backup has. */
export async function isSqlServerBackup(path: string): Promise<boolean> {
  return (await readHead(path, 4)).toString('latin1') === MTF_MAGIC;
}

/** The one `.bak` (any case) in an extracted tree, checked to be a SQL Server backup. */
export async function findBackupFile(dir: string, archiveLabel = dir): Promise<string> {
  const files = await listFiles(dir);
  const baks = files.filter((f) => /\.bak$/i.test(f));
  const shown = (list: string[]) => list.slice(0, 50).join(', ') + (list.length > 50 ? `, ... (${list.length} in all)` : '');
  if (baks.length === 0) {
    throw new PermanentError(FailureType.NoBackupFound,
      `no .bak file in ${archiveLabel}; found ${files.length ? shown(files) : 'no files'}`);
  }
  if (baks.length > 1) {
    throw new PermanentError(FailureType.NoBackupFound,
      `several .bak files in ${archiveLabel} and no rule to choose: ${shown(baks)}`);
  }
  const path = join(dir, baks[0]);
  if (!(await isSqlServerBackup(path))) {
    throw new PermanentError(FailureType.NotABackup,
      `${baks[0]} in ${archiveLabel} is not a SQL Server backup (no "${MTF_MAGIC}" media header at offset 0)`);
  }
  return path;
}

/** Joins a server-side directory and file name with the server's own separator (Windows hosts use `\`). */
export function serverSidePath(serverDir: string, ...parts: string[]): string {
  const windows = /^[A-Za-z]:|^\\\\/.test(serverDir) || (serverDir.includes('\\') && !serverDir.includes('/'));
  return windows ? win32.join(serverDir, ...parts) : posix.join(serverDir, ...parts);
}

async function exists(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Finds the tenant's .bak and moves it into the SQL Server's backup share (`backupDir.worker/<tenant>/`).
 * Idempotent: when an earlier attempt already moved it, the placed file is checked and returned.
 */
export async function placeBackup(config: MigratorConfig, input: LocateBackupInput): Promise<LocateBackupResult> {
  tenantWorkDir(config, input.tenantId); // validates the tenant id as a path segment
  const backupDir = backupDirOf(serverConfig(config, input.sourceServer));
  if (!backupDir) {
    throw new BadInputError(`server "${input.sourceServer}" has no backupDir (worker and server paths of its backup share) in the worker config`);
  }
  const fileName = `${input.tenantId}.bak`;
  const workerPath = join(backupDir.worker, input.tenantId, fileName);
  const serverPath = serverSidePath(backupDir.server, input.tenantId, fileName);
  let source: string | undefined;
  try {
    source = await findBackupFile(input.dir, `the backup of tenant ${input.tenantId}`);
  } catch (err) {
    // Already moved by an earlier attempt of this same download: the extracted tree no longer has it.
    // A .bak left by an earlier upload must never stand in for a new archive that has none (or two).
    const placed = await exists(workerPath);
    if (err instanceof PermanentError && err.type === FailureType.NoBackupFound && placed !== undefined
      && await sameOrigin(workerPath, input.origin) && await isSqlServerBackup(workerPath)) {
      return { workerPath, serverPath, bytes: placed };
    }
    throw err;
  }
  await mkdir(join(backupDir.worker, input.tenantId), { recursive: true });
  // The marker is written before the move: whenever the placed file can be this download's, the marker says so.
  await writeFile(markerPath(workerPath), JSON.stringify(input.origin ?? null));
  const bytes = (await stat(source)).size;
  try {
    await rename(source, workerPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another filesystem (a share): copy under a temporary name, then rename, so a half copy never looks done.
    const tmp = `${workerPath}.partial`;
    await copyFile(source, tmp);
    await rename(tmp, workerPath);
    await rm(source, { force: true });
  }
  return { workerPath, serverPath, bytes };
}

function markerPath(workerPath: string): string {
  return `${workerPath}.origin.json`;
}

/** True when the placed file's marker names the same object and ETag as this download. */
async function sameOrigin(workerPath: string, origin: BackupOrigin | undefined): Promise<boolean> {
  if (!origin) return false;
  try {
    const marker = JSON.parse(await readFile(markerPath(workerPath), 'utf8')) as BackupOrigin | null;
    return !!marker && marker.bucket === origin.bucket && marker.key === origin.key && marker.etag === origin.etag;
  } catch {
    return false;
  }
}
