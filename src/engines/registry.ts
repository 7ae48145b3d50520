import type { MigratorConfig } from '../config/schema';
import { serverConfig } from '../config/load';
import type { DatabaseRef, MigrationOptions } from '../workflows/types';
import type { SourceEngine } from './types';
import { PostgresSourceEngine } from './postgres/source';
import { PostgresTarget } from './postgres/target';
import { BadInputError } from '../common/errors';

/** Resolves a source reference to its engine. Adding a source kind touches only this switch. */
export async function createSourceEngine(config: MigratorConfig, ref: DatabaseRef, options: MigrationOptions = {}): Promise<SourceEngine> {
  const server = serverConfig(config, ref.server);
  switch (server.kind) {
    case 'postgres':
      return new PostgresSourceEngine({ serverName: ref.server, server, database: ref.database });
    case 'mssql': {
      const { MssqlSourceEngine } = await import('./mssql/source');
      return new MssqlSourceEngine({
        serverName: ref.server, server, database: ref.database,
        overrides: options.columnOverrides, lowerCaseNames: options.lowerCaseNames, dboSchema: server.dboSchema,
      });
    }
    default:
      throw new BadInputError(`server "${ref.server}": unsupported kind ${String(server.kind)}`);
  }
}

export function createTarget(config: MigratorConfig, ref: DatabaseRef): PostgresTarget {
  const server = serverConfig(config, ref.server);
  if (server.kind !== 'postgres') {
    throw new BadInputError(`target server "${ref.server}" is of kind ${server.kind}; targets must be postgres`);
  }
  return new PostgresTarget({ serverName: ref.server, server, database: ref.database });
}

/** A label for the source that carries no secret: server name and database. */
export function sourceLabel(ref: DatabaseRef): string {
  return `${ref.server}/${ref.database}`;
}
