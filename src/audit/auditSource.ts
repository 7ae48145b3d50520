import type { MigratorConfig } from '../config/configSchema';
import { serverConfig } from '../config/loadConfig';
import type { SchemaModel } from '../engines/schemaModel';
import type { AuditCheckSpec, DatabaseRef } from '../contract/migration';
import type { AuditOptions, AuditResult } from '../contract/auditResult';
import { runAudit, runAuditMssql } from './runAudit';
import { BadInputError } from '../contract/failures';

/**
 * Audits a source named by reference (server name from the worker config + database): opens
 * the connection the server's kind needs, runs the audit, closes it. What an audit activity calls.
 */
export async function auditSource(config: MigratorConfig, source: DatabaseRef, model: SchemaModel,
  checks: AuditCheckSpec[] = [], options: AuditOptions = {}): Promise<AuditResult> {
  const server = serverConfig(config, source.server);
  switch (server.kind) {
    case 'postgres': {
      const { connectPg } = await import('../engines/postgres/connection');
      const client = await connectPg({ serverName: source.server, server, database: source.database },
        { role: 'source', appName: 'tmig-audit' });
      try {
        // Read-only by construction; make it so for the server too.
        await client.query('SET default_transaction_read_only = on');
        return await runAudit(client, model, checks, options);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    case 'mssql': {
      const { openPool } = await import('../engines/mssql/connection');
      const pool = await openPool(source.server, server, source.database);
      try {
        return await runAuditMssql(pool, model, checks, options);
      } finally {
        await pool.close().catch(() => undefined);
      }
    }
    default:
      throw new BadInputError(`server "${source.server}": no audit for source kind ${String(server.kind)}`);
  }
}
