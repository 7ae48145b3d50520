/**
 * The canonical per-document checksum: a hash of a document's mapped rows (parent and child
 * tables, canonical text per column). Computed the same way from MongoDB and from MySQL.
 */
import { createHash } from 'node:crypto';
import type { MappedDocument } from './documentMapping';

export function documentChecksum(mapped: MappedDocument): string {
  return createHash('sha256').update(JSON.stringify([mapped.id, mapped.row, mapped.children])).digest('hex').slice(0, 32);
}
