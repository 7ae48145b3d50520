/**
 * A restore DOUBLE for servers that cannot RESTORE a .bak (Babelfish): builds the tenant database
 * from a T-SQL script carried in the staged "backup" instead. Only a test config selects it
 * (`restore: "scriptRestoreDouble"` on the server); production servers use the real RESTORE path.
 */
import { readFile } from 'node:fs/promises';
import type { MssqlServerSettings } from './serverConfig';
import { FailureType, PermanentError } from '../../contract/failures';
import { errorNumber, openPool } from './connection';
import { msIdent, msLiteral } from './identifiers';
import { validateDatabaseName } from './backupRestore';

/** The Microsoft Tape Format magic the staging step checks for; the double's "backup" is this magic, then a T-SQL script. */
export const SCRIPT_DOUBLE_MAGIC = 'TAPE';

/** Builds a stand-in .bak for the double: the media magic (so staging's header check passes), then the script. */
export function scriptDoubleBackup(script: string): Buffer {
  return Buffer.concat([Buffer.from(SCRIPT_DOUBLE_MAGIC, 'latin1'), Buffer.from(`\n${script}`, 'utf8')]);
}

/** The batches of a script, split on `GO` lines as SQL Server tools do. */
export function scriptBatches(script: string): string[] {
  return script.split(/^\s*GO\s*$/im).filter((b) => b.trim());
}

/** Drops without ALTER DATABASE (Babelfish's parser refuses it even in a dead branch). */
function dropSql(database: string): string {
  return `IF DB_ID(${msLiteral(database)}) IS NOT NULL DROP DATABASE ${msIdent(database)}`;
}

export interface ScriptRestoreRequest {
  serverName: string;
  server: MssqlServerSettings;
  database: string;
  /** The staged stand-in backup, as the worker sees it. */
  backupPath: string;
  onProgress?: (percent: number) => void;
}

/** Recreates `database` from the script in the stand-in backup. Idempotent: a retry drops and rebuilds it. */
export async function restoreFromScript(req: ScriptRestoreRequest): Promise<{ batches: number }> {
  validateDatabaseName(req.database);
  const body = await readFile(req.backupPath);
  if (body.subarray(0, 4).toString('latin1') !== SCRIPT_DOUBLE_MAGIC) {
    throw new PermanentError(FailureType.NotABackup, `${req.backupPath}: not a script-restore-double backup (no "${SCRIPT_DOUBLE_MAGIC}" header)`);
  }
  const batches = scriptBatches(body.subarray(4).toString('utf8'));
  if (!batches.length) throw new PermanentError(FailureType.NotABackup, `${req.backupPath}: the script-restore-double backup holds no T-SQL`);
  const master = await openPool(req.serverName, req.server, 'master');
  try {
    await master.request().batch(dropSql(req.database));
    await master.request().batch(`CREATE DATABASE ${msIdent(req.database)}`);
  } finally {
    await master.close().catch(() => undefined);
  }
  const db = await openPool(req.serverName, req.server, req.database);
  try {
    for (const [i, batch] of batches.entries()) {
      try {
        await db.request().batch(batch);
      } catch (err) {
        // A server error in the script is the archive's fault; a dropped connection is retried.
        if (errorNumber(err) === undefined) throw err;
        throw new PermanentError(FailureType.NotABackup, `${req.backupPath}: script batch ${i + 1} of ${batches.length} failed in ${req.database}: ${(err as Error).message}`);
      }
      req.onProgress?.(Math.floor(((i + 1) * 100) / batches.length));
    }
  } finally {
    await db.close().catch(() => undefined);
  }
  return { batches: batches.length };
}

/** Drops a database the double built (no-op when gone). */
export async function dropScriptRestored(serverName: string, server: MssqlServerSettings, database: string): Promise<void> {
  validateDatabaseName(database);
  const pool = await openPool(serverName, server, 'master');
  try {
    await pool.request().batch(dropSql(database));
  } finally {
    await pool.close().catch(() => undefined);
  }
}
