/**
 * The MySQL engine (MySQL 8 / MariaDB, InnoDB): the target of the lazy migration. DDL from the plan,
 * chunk + checkpoint in one transaction, per-document state, rejects and validation reads live beside it.
 */
import { defineEngine } from '../engineDescriptor';
import { quoteIdent } from './quoting';
import { mysqlServerSchema } from './serverConfig';

export const mysqlEngine = defineEngine({
  kind: 'mysql',
  configSchema: mysqlServerSchema,
  quoteIdent,
});
