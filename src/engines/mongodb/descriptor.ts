/**
 * The MongoDB engine (any server speaking the wire protocol: MongoDB, FerretDB): the document
 * source of the lazy migration. Its reader, mapping and archive live beside this file; it has no
 * relational SourceEngine (documents are mapped by a reviewed plan, see src/lazy).
 */
import { defineEngine } from '../engineDescriptor';
import { mongodbServerSchema } from './serverConfig';

export const mongodbEngine = defineEngine({
  kind: 'mongodb',
  configSchema: mongodbServerSchema,
  // Collection and field names are passed to the driver as values, never spliced into text.
  quoteIdent: (name: string) => name,
});
