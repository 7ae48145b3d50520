import { createHash } from 'node:crypto';
import { BadInputError } from '../contract/failures';
import { normalizeEtag } from '../storage/etag';
import { isLaterVolume } from '../archives/rarVolumes';

const tenantIdPattern = /^[A-Za-z0-9_.-]+$/;
const backupName = /\.(rar|zip|7z|gz|tgz|tar|bak)$/i;

export { normalizeEtag };

/** Compiles the configured key pattern; it must have a named group `tenant`. */
export function compileTenantPattern(pattern: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new BadInputError(`tenantPattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}`);
  }
  if (!pattern.includes('(?<tenant>')) throw new BadInputError(`tenantPattern ${JSON.stringify(pattern)} needs a named group (?<tenant>...)`);
  return re;
}

export type KeyVerdict = { tenant: string } | { ignored: string };

/** Decides whether a key is a backup to migrate, and for which tenant. */
export function classifyKey(key: string, pattern: RegExp): KeyVerdict {
  if (key.endsWith('/')) return { ignored: 'folder marker' };
  const name = key.split('/').pop() ?? key;
  if (!backupName.test(name)) return { ignored: 'not a backup or archive name' };
  if (isLaterVolume(name)) return { ignored: 'later volume of a multi-volume set (migrated from part 1)' };
  const tenant = pattern.exec(key)?.groups?.tenant;
  if (!tenant) return { ignored: 'tenantPattern does not match' };
  if (!tenantIdPattern.test(tenant) || tenant === '.' || tenant === '..') return { ignored: `tenant "${tenant}" is not a valid tenant id (letters, digits, _ . -)` };
  return { tenant };
}

/**
 * Workflow id of the migration of one upload: the same tenant, key and ETag always give the same id, so a
 * repeated scan or a redelivered event cannot start it twice, while a new upload (new key or new content)
 * gets a new id.
 */
export function intakeWorkflowId(tenant: string, key: string, etag: string): string {
  const digest = createHash('sha1').update(`${key}\n${normalizeEtag(etag)}`).digest('hex').slice(0, 12);
  return `tenant-${tenant}-${digest}`;
}
