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
import { SliceSourceEngine } from '../split/sliceSource';

export async function openSource(config: MigratorConfig, ref: DatabaseRef, options: MigrationOptions = {}): Promise<SourceEngine> {
  const base = await createSourceEngine(ref.server, serverConfig(config, ref.server), ref.database, options);
  // A tenant slice of a shared database: the shared database's engine, filtered per tenant (src/split).
  return ref.split ? new SliceSourceEngine(base, ref.split, `${ref.server}/${ref.database} tenant ${ref.split.tenantKey.value}`) : base;
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
