/** Deterministic MySQL table and column names for document paths (64-character limit, safe characters). */
import { createHash } from 'node:crypto';

const LIMIT = 64;

/** `address.city` -> `address_city`; long names are cut and suffixed with a short hash so they stay unique. */
export function mysqlName(raw: string, taken: Set<string> = new Set()): string {
  let name = raw.replace(/\./g, '_').replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  if (name.length > LIMIT) name = `${name.slice(0, LIMIT - 9)}_${hash(raw)}`;
  let candidate = name;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name.slice(0, LIMIT - String(i).length - 1)}_${i}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

function hash(s: string): string {
  return createHash('sha1').update(s).digest('hex').slice(0, 8);
}
