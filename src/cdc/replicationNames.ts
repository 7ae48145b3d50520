/**
 * Names of the publication and logical slot of one tenant stream. Deterministic (a retried
 * activity finds what an earlier attempt created) and recognizable (`tmig cdc cleanup` only ever
 * touches objects named `tmig_…`). Slot names allow [a-z0-9_] and 63 bytes.
 */
import { createHash } from 'node:crypto';

export type StreamDirection = 'forward' | 'reverse';

export interface ReplicationNames {
  slot: string;
  publication: string;
}

export const NAME_PREFIX = 'tmig_';

export function replicationNames(tenantId: string, direction: StreamDirection): ReplicationNames {
  const safe = tenantId.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 32);
  // The hash keeps distinct tenants distinct after sanitizing and truncation.
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 8);
  const base = `${NAME_PREFIX}${direction === 'forward' ? 'f' : 'r'}_${safe}_${hash}`;
  return { slot: base, publication: base };
}

/** The tenant a tmig slot belongs to cannot be recovered from its name; the stream-position row records it. */
export function isTmigName(name: string): boolean {
  return name.startsWith(NAME_PREFIX);
}
