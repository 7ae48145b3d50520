import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import type { SchemaModel } from '../engines/schemaModel';
import type { SequenceState } from '../engines/sourceEngine';
import type { DatabaseRef, ValidationFinding } from '../contract/migration';
import { connectPg } from '../engines/postgres/connection';
import { checkTargetIntegrity } from './integrity';
import { BadInputError } from '../contract/failures';

/** Runs the target integrity checks on a target named by reference; what a validation activity calls. */
export async function checkTargetIntegrityByRef(config: MigratorConfig, target: DatabaseRef, model: SchemaModel,
  sourceSequences: SequenceState[] = []): Promise<ValidationFinding[]> {
  const server = serverConfig(config, target.server);
  if (server.kind !== 'postgres') throw new BadInputError(`target server "${target.server}" is of kind ${server.kind}; targets must be postgres`);
  const client = await connectPg({ serverName: target.server, server, database: target.database }, { role: 'target', appName: 'tmig-integrity' });
  try {
    return await checkTargetIntegrity(client, model, sourceSequences);
  } finally {
    await client.end().catch(() => undefined);
  }
}
