/** The SQL Server engine: a source (catalog views, keyset reads) that can also restore `.bak` backups. */
import { defineEngine } from '../engineDescriptor';
import { mssqlAuditDialect } from './auditDialect';
import { msIdent } from './identifiers';
import { mssqlServerSchema } from './serverConfig';

export const mssqlEngine = defineEngine({
  kind: 'mssql',
  configSchema: mssqlServerSchema,
  // The driver is loaded only when a SQL Server is used.
  createSource: async (ep, options) => {
    const { MssqlSourceEngine } = await import('./source');
    return new MssqlSourceEngine({ ...ep, overrides: options.columnOverrides, lowerCaseNames: options.lowerCaseNames, dboSchema: ep.server.dboSchema });
  },
  audit: {
    dialect: mssqlAuditDialect,
    async open(ep) {
      // Loaded here, not at the top: `mssql` (tedious, Azure identity: ~300 modules) stays out of workers that never meet a SQL Server.
      const { openPool } = await import('./connection');
      const pool = await openPool(ep.serverName, ep.server, ep.database);
      return {
        // Parameters bind as @p1, @p2, ...
        query: async (sql, params = []) => {
          const request = pool.request();
          params.forEach((v, i) => request.input(`p${i + 1}`, v));
          return (await request.query(sql)).recordset as Record<string, unknown>[];
        },
        close: () => pool.close().catch(() => undefined),
      };
    },
  },
  restore: {
    async restore(ep) {
      // The strategy is per server: only a test config selects the script double (no RESTORE on Babelfish).
      if (ep.server.restore === 'scriptRestoreDouble') {
        const { restoreFromScript } = await import('./scriptRestoreDouble');
        const r = await restoreFromScript(ep);
        return { files: r.batches };
      }
      const { restoreDatabase } = await import('./backupRestore');
      const r = await restoreDatabase(ep);
      return { files: r.files.length };
    },
    async drop(ep) {
      if (ep.server.restore === 'scriptRestoreDouble') {
        const { dropScriptRestored } = await import('./scriptRestoreDouble');
        return dropScriptRestored(ep.serverName, ep.server, ep.database);
      }
      const { dropRestoredDatabase } = await import('./backupRestore');
      await dropRestoredDatabase(ep.serverName, ep.server, ep.database);
    },
  },
  quoteIdent: msIdent,
});
