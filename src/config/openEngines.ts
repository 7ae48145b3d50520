/**
 * Opens engines for database references: resolves the server name in the worker config, then
 * lets the registry build the engine of that server's kind. What activities and libraries call.
 */
import type { DatabaseRef, MigrationOptions } from '../contract/migration';
import { BadInputError } from '../contract/failures';
import { createSourceEngine, createTargetEngine, engineDescriptor } from '../engines/registry';
import type { EngineDescriptor } from '../engines/engineDescriptor';
import type { SourceEngine } from '../engines/sourceEngine';
import { PostgresTarget } from '../engines/postgres/target';
import type { MigratorConfig } from './configSchema';
import { serverConfig } from './loadConfig';

/**
 * The source engine of the database a reference names, whole. A tenant's source may be a slice of
 * a shared database: activities open it with `openTenantSource` (src/split/sliceSource.ts), which
 * filters this engine per tenant; a slice reference here is refused, never read whole.
 */
export async function openSource(config: MigratorConfig, ref: DatabaseRef, options: MigrationOptions = {}): Promise<SourceEngine> {
  if (ref.split) throw new Error(`${ref.server}/${ref.database}: a tenant slice is opened with openTenantSource, not read whole`);
  return createSourceEngine(ref.server, serverConfig(config, ref.server), ref.database, options);
}

/**
 * The target engine of a reference. The checkpoint store and validation read-back are
 * PostgreSQL's today, so the PostgreSQL target is returned as such.
 */
export function openTarget(config: MigratorConfig, ref: DatabaseRef): PostgresTarget {
  const target = createTargetEngine(ref.server, serverConfig(config, ref.server), ref.database);
  if (!(target instanceof PostgresTarget)) {
    throw new BadInputError(`target server "${ref.server}" is of kind ${target.kind}; targets must be postgres`);
  }
  return target;
}

/** The descriptor of the engine behind a server name. */
export function engineOf(config: MigratorConfig, serverName: string): EngineDescriptor<any> {
  return engineDescriptor(serverConfig(config, serverName).kind, serverName);
}
