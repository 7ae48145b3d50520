import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import type { BackupRef, DatabaseRef, MigrationOptions } from '../contract/migration';
import type { SourceEngine } from './sourceEngine';
import { PostgresSourceEngine } from './postgres/source';
import { PostgresTarget } from './postgres/target';
import { BadInputError } from '../contract/failures';

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

/**
 * The source's identity, without secrets: server and database, plus the backup it was restored
 * from (a newer upload of the same tenant is a different source).
 */
export function sourceLabel(ref: DatabaseRef, backup?: BackupRef): string {
  const base = `${ref.server}/${ref.database}`;
  return backup ? `${base} restored from s3://${backup.bucket}/${backup.key}${backup.etag ? `@${backup.etag}` : ''}` : base;
}
