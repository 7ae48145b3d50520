import { classified, config, heartbeat } from './activityContext';
import { serverConfig } from '../config/loadConfig';
import { BadInputError } from '../contract/failures';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';

/** Restores the staged .bak into the tenant's source database name on its SQL Server, reporting percent. */
export async function restoreBackup(t: TenantRef, req: { backupPath: string }): Promise<{ files: number }> {
  return classified(`${tenantLabel(t)}: restore ${req.backupPath} as ${t.source.server}/${t.source.database}`, async () => {
    const server = serverConfig(config(), t.source.server);
    if (server.kind !== 'mssql') throw new BadInputError(`${tenantLabel(t)}: backups restore on mssql servers; "${t.source.server}" is ${server.kind}`);
    const { restoreDatabase } = await import('../engines/mssql/backupRestore');
    heartbeat({ percent: 0 });
    const r = await restoreDatabase({
      serverName: t.source.server, server, database: t.source.database, backupPath: req.backupPath,
      onProgress: (percent) => heartbeat({ percent }),
    });
    return { files: r.files.length };
  });
}

/** Drops the restored source database once the tenant is validated. */
export async function dropRestoredSource(t: TenantRef): Promise<void> {
  return classified(`${tenantLabel(t)}: drop restored ${t.source.server}/${t.source.database}`, async () => {
    const server = serverConfig(config(), t.source.server);
    const { dropRestoredDatabase } = await import('../engines/mssql/backupRestore');
    await dropRestoredDatabase(t.source.server, server, t.source.database);
  });
}
