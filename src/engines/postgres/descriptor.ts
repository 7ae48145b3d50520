/** The PostgreSQL engine: a source (pg_dump for schema, COPY for rows) and the first target engine. */
import { defineEngine } from '../engineDescriptor';
import { BadInputError } from '../../contract/failures';
import { postgresAuditDialect } from './auditDialect';
import { connectPg } from './connection';
import { quoteIdent } from './quoting';
import { postgresServerSchema } from './serverConfig';
import { PostgresSourceEngine } from './source';
import { PostgresTarget } from './target';

export const postgresEngine = defineEngine({
  kind: 'postgres',
  configSchema: postgresServerSchema,
  createSource: async (ep, options) => {
    // An option that does not apply to this source kind is refused, naming the field; never silently ignored.
    for (const field of ['columnOverrides', 'lowerCaseNames'] as const) {
      const value = options[field];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      throw new BadInputError(`options.${field} applies to SQL Server sources only; source server "${ep.serverName}" is postgres: remove it`);
    }
    return new PostgresSourceEngine(ep);
  },
  createTarget: (ep) => new PostgresTarget(ep),
  audit: {
    dialect: postgresAuditDialect,
    async open(ep) {
      const client = await connectPg(ep, { role: 'source', appName: 'tmig-audit' });
      // Read-only by construction; make it so for the server too.
      await client.query('SET default_transaction_read_only = on');
      return {
        query: async (sql, params) => (await client.query(sql, params)).rows,
        close: () => client.end().catch(() => undefined),
      };
    },
  },
  quoteIdent,
});
