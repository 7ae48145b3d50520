import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import type { SchemaModel } from '../engines/schemaModel';
import type { AuditCheckSpec, DatabaseRef } from '../contract/migration';
import type { AuditOptions, AuditResult } from '../contract/auditResult';
import { auditDatabase } from './runAudit';
import { engineDescriptor } from '../engines/registry';
import { BadInputError } from '../contract/failures';

/**
 * Audits a source named by reference (server name from the worker config + database): the
 * engine's descriptor opens a read-only session and gives the dialect; the audit core runs on it. What an audit activity calls.
 */
export async function auditSource(config: MigratorConfig, source: DatabaseRef, model: SchemaModel,
  checks: AuditCheckSpec[] = [], options: AuditOptions = {}): Promise<AuditResult> {
  const server = serverConfig(config, source.server);
  const audit = engineDescriptor(server.kind, source.server).audit;
  if (!audit) throw new BadInputError(`server "${source.server}": no audit for source kind ${server.kind}`);
  const session = await audit.open({ serverName: source.server, server, database: source.database });
  try {
    return await auditDatabase(audit.dialect, session.query, model, checks, options);
  } finally {
    await session.close();
  }
}
