/** The config of a SQL Server (`kind: mssql`): the shared fields plus backup and restore places. */
import { z } from 'zod';
import { serverBaseFor } from '../serverConnection';

export const mssqlServerSchema = serverBaseFor(['mssql', 'sqlserver'], 'mssql://migrator@sql1:1433/master').extend({
  kind: z.literal('mssql'),
  /** Where .bak files are placed, as the worker sees it and as the SQL Server host sees it. */
  backupDir: z.object({ worker: z.string().min(1), server: z.string().min(1) }).optional(),
  /** Data directory for RESTORE ... WITH MOVE (server-side path). */
  dataDir: z.string().optional(),
  /**
   * How backups restore: `backup` (default) runs RESTORE DATABASE; `scriptRestoreDouble` is a TEST DOUBLE for
   * servers without RESTORE (Babelfish) that builds the database from a T-SQL script in the staged stand-in .bak.
   */
  restore: z.enum(['backup', 'scriptRestoreDouble']).optional(),
  /** Target schema for objects in `dbo`. */
  dboSchema: z.string().optional(),
  /** Default permit limit of the `restore-<server>` pool (default min(2, maxConcurrency)). */
  maxRestoreConcurrency: z.number().int().positive().optional(),
}).strict();
export type MssqlServerConfig = z.infer<typeof mssqlServerSchema>;

/** What the SQL Server engine reads of a server's config (any parsed server config fits). */
export type MssqlServerSettings = Pick<MssqlServerConfig, 'url' | 'passwordEnv'> & Partial<Pick<MssqlServerConfig, 'backupDir' | 'dataDir' | 'dboSchema' | 'maxConcurrency' | 'restore'>> & { kind?: string };
