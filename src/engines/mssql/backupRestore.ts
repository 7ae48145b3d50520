import { posix, win32 } from 'node:path';
import sql from 'mssql';
import type { MssqlServerSettings as ServerConfig } from './serverConfig';
import { BadInputError, FailureType, PermanentError } from '../../contract/failures';
import { openPool, errorNumber } from './connection';
import { detectFlavor } from './serverFlavor';
import { msIdent, msLiteral } from './identifiers';

/**
 * Restoring a `.bak` on SQL Server: RESTORE FILELISTONLY for the logical files, then
 * RESTORE DATABASE ... WITH MOVE (each file into the server's data directory under a
 * per-tenant name), REPLACE, STATS = 5, with percent progress from the server's messages.
 */

export interface BackupFile {
  logicalName: string;
  physicalName: string;
  /** D = data, L = log, S = filestream/full-text containers. */
  type: string;
  fileId: number;
}

/** Database names for restored tenants: letters, digits, _ and - only (they end up in file names). */
export function validateDatabaseName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/.test(name)) {
    throw new BadInputError(`restore database name ${JSON.stringify(name)}: use letters, digits, _ and - (at most 100 characters)`);
  }
}

export function fileListOnlySql(backupPath: string): string {
  return `RESTORE FILELISTONLY FROM DISK = ${msLiteral(backupPath)}`;
}

/** The server-side path separator: Windows data directories contain a drive letter or backslash. */
function joinServerPath(dir: string, file: string): string {
  return /^[A-Za-z]:|\\/.test(dir) ? win32.join(dir, file) : posix.join(dir, file);
}

/** Target physical file for one logical file: `<dataDir>/<database>_<logical><ext>`. */
export function movedFileName(database: string, f: BackupFile, dataDir: string): string {
  const ext = f.type === 'L' ? '.ldf' : f.fileId === 1 ? '.mdf' : f.type === 'S' ? '' : '.ndf';
  const logical = f.logicalName.replace(/[^A-Za-z0-9_-]/g, '_');
  return joinServerPath(dataDir, `${database}_${logical}${ext}`);
}

export function restoreDatabaseSql(database: string, backupPath: string, files: BackupFile[], dataDir: string): string {
  validateDatabaseName(database);
  if (!files.length) throw new PermanentError(FailureType.NotABackup, `backup ${backupPath} lists no files`);
  const moves = files.map((f) => `MOVE ${msLiteral(f.logicalName)} TO ${msLiteral(movedFileName(database, f, dataDir))}`);
  return `RESTORE DATABASE ${msIdent(database)} FROM DISK = ${msLiteral(backupPath)} WITH ${moves.join(', ')}, REPLACE, STATS = 5`;
}

/** Ends other sessions on an online database (a RESTORING one, left by a crashed restore, has none and refuses ALTER). */
export function kickSessionsSql(database: string): string {
  validateDatabaseName(database);
  return `IF EXISTS (SELECT 1 FROM sys.databases WHERE name = ${msLiteral(database)} AND state_desc = 'ONLINE') `
    + `ALTER DATABASE ${msIdent(database)} SET SINGLE_USER WITH ROLLBACK IMMEDIATE`;
}

export function dropDatabaseSql(database: string): string {
  validateDatabaseName(database);
  return `${kickSessionsSql(database)}; IF DB_ID(${msLiteral(database)}) IS NOT NULL DROP DATABASE ${msIdent(database)}`;
}

/**
 * A RESTORE of this database still running on the server (for example an earlier attempt whose
 * worker died): its session id and percent, so a retry waits instead of REPLACE-ing under it.
 */
export function runningRestoreSql(database: string): string {
  validateDatabaseName(database);
  return `SELECT r.session_id, r.percent_complete FROM sys.dm_exec_requests r CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) t `
    + `WHERE r.session_id <> @@SPID AND r.command LIKE 'RESTORE%' AND t.text LIKE ${msLiteral(`%RESTORE DATABASE ${msIdent(database).replace(/\[/g, '[[]')} %`)}`;
}

/** How often a retry looks again at a restore of the same database that is still running. */
export const RUNNING_RESTORE_POLL_MS = 10_000;

/** "10 percent processed." -> 10 (the server's STATS messages, any language puts the number first). */
export function percentFromMessage(message: string): number | null {
  const m = /^\s*(\d{1,3})\s+percent/i.exec(message);
  return m ? Number(m[1]) : null;
}

/** Worker-side path -> the same file as the SQL Server host sees it (shared backup volume). */
export function serverBackupPath(server: Pick<ServerConfig, 'backupDir'>, workerPath: string): string {
  const dirs = server.backupDir;
  if (!dirs) return workerPath;
  const rel = posix.relative(dirs.worker, workerPath);
  if (rel.startsWith('..') || posix.isAbsolute(rel)) {
    throw new BadInputError(`backup ${workerPath} is not under the shared backup directory ${dirs.worker}`);
  }
  return joinServerPath(dirs.server, rel);
}

/** Error numbers of RESTORE that no retry can fix: not a backup / damaged media / unsupported version. */
const notABackupErrors = new Set([3241, 3242, 3013, 3183, 3169, 4305]);

export interface RestoreRequest {
  serverName: string;
  server: ServerConfig;
  /** Per-tenant database name to restore into. */
  database: string;
  /** The backup as the worker sees it (under server.backupDir.worker), or as the server sees it when no backupDir is set. */
  backupPath: string;
  /** Called with 0..100 as the server reports progress (heartbeat from here). */
  onProgress?: (percent: number) => void;
  /** Called while waiting for an earlier restore of the same database to end. */
  onWaiting?: (message: string) => void;
}

export async function readFileList(pool: sql.ConnectionPool, serverPath: string): Promise<BackupFile[]> {
  const r = await pool.request().query(fileListOnlySql(serverPath));
  return (r.recordset as Record<string, unknown>[]).map((x) => ({
    logicalName: String(x.LogicalName), physicalName: String(x.PhysicalName), type: String(x.Type).trim(), fileId: Number(x.FileId),
  }));
}

/** Restores a backup into `database` (replacing it). Idempotent: running it again restores again. */
export async function restoreDatabase(req: RestoreRequest): Promise<{ files: BackupFile[] }> {
  validateDatabaseName(req.database);
  const dataDir = req.server.dataDir;
  if (!dataDir) throw new BadInputError(`server "${req.serverName}": dataDir is required to restore backups`);
  const serverPath = serverBackupPath(req.server, req.backupPath);
  const pool = await openPool(req.serverName, req.server, 'master');
  try {
    // Babelfish (a TDS endpoint on PostgreSQL) has no RESTORE: say so at once instead of a parse error.
    if (await detectFlavor(pool) === 'babelfish') {
      throw new BadInputError(`server "${req.serverName}" is Babelfish for PostgreSQL, which cannot RESTORE a .bak; restore backups on a SQL Server`);
    }
    let files: BackupFile[];
    try {
      files = await readFileList(pool, serverPath);
    } catch (err) {
      const n = errorNumber(err);
      if (n !== undefined && notABackupErrors.has(n)) {
        throw new PermanentError(FailureType.NotABackup, `${req.backupPath}: SQL Server cannot read it as a backup: ${(err as Error).message}`);
      }
      throw err;
    }
    // A retry replaces what an earlier attempt restored: other sessions would block REPLACE.
    // Before RESTORE ... REPLACE on a retry: wait while an earlier attempt's restore still runs.
    for (;;) {
      const running = await pool.request().query(runningRestoreSql(req.database));
      const r = (running.recordset as { session_id: number; percent_complete: number }[])[0];
      if (!r) break;
      req.onWaiting?.(`a restore of ${req.database} is still running (session ${r.session_id}, ${Math.round(r.percent_complete)}%): waiting for it to end`);
      await new Promise((res) => setTimeout(res, RUNNING_RESTORE_POLL_MS));
    }
    await pool.request().query(kickSessionsSql(req.database));
    const request = pool.request();
    request.on('info', (info: { message: string }) => {
      const p = percentFromMessage(info.message);
      if (p !== null) req.onProgress?.(p);
    });
    try {
      await request.query(restoreDatabaseSql(req.database, serverPath, files, dataDir));
    } catch (err) {
      const n = errorNumber(err);
      if (n !== undefined && [3241, 3242, 3183, 4305].includes(n)) {
        throw new PermanentError(FailureType.NotABackup, `${req.backupPath}: restore failed: ${(err as Error).message}`);
      }
      if (n === 3257 || n === 1105) throw new PermanentError(FailureType.DiskFull, `server "${req.serverName}": not enough space to restore ${req.database}`);
      throw err;
    }
    req.onProgress?.(100);
    return { files };
  } finally {
    await pool.close().catch(() => undefined);
  }
}

/** Drops a restored tenant database (no-op when it is gone). */
export async function dropRestoredDatabase(serverName: string, server: ServerConfig, database: string): Promise<void> {
  const pool = await openPool(serverName, server, 'master');
  try {
    await pool.request().query(dropDatabaseSql(database));
  } finally {
    await pool.close().catch(() => undefined);
  }
}
