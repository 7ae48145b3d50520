import { classified, config, heartbeat, withHeartbeats } from './activityContext';
import { serverConfig } from '../config/loadConfig';
import { BadInputError } from '../contract/failures';
import { engineDescriptor } from '../engines/registry';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';

/** Restores the staged .bak into the tenant's source database name on its SQL Server, reporting percent. */
export async function restoreBackup(t: TenantRef, req: { backupPath: string }): Promise<{ files: number }> {
  return classified(`${tenantLabel(t)}: restore ${req.backupPath} as ${t.source.server}/${t.source.database}`, async () => {
    const server = serverConfig(config(), t.source.server);
    const restore = engineDescriptor(server.kind, t.source.server).restore;
    if (!restore) throw new BadInputError(`${tenantLabel(t)}: backups restore on mssql servers; "${t.source.server}" is ${server.kind}`);
    let state: { percent: number; waiting?: string } = { percent: 0 };
    heartbeat(state);
    // A timer heartbeat too: STATS messages can be minutes apart (a large file's allocation, the redo phase).
    return withHeartbeats(() => state, () => restore.restore({
      serverName: t.source.server, server, database: t.source.database, backupPath: req.backupPath,
      onProgress: (percent: number) => { state = { percent }; heartbeat(state); },
      onWaiting: (waiting: string) => { state = { percent: 0, waiting }; heartbeat(state); },
    }), 30_000);
  });
}

/** Drops the restored source database once the tenant is validated. */
export async function dropRestoredSource(t: TenantRef): Promise<void> {
  return classified(`${tenantLabel(t)}: drop restored ${t.source.server}/${t.source.database}`, async () => {
    const server = serverConfig(config(), t.source.server);
    const restore = engineDescriptor(server.kind, t.source.server).restore;
    if (!restore) throw new BadInputError(`${tenantLabel(t)}: "${t.source.server}" is ${server.kind}: no restored database to drop`);
    await restore.drop({ serverName: t.source.server, server, database: t.source.database });
  });
}
