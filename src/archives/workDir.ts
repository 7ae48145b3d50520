import { statfs, readdir, lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MigratorConfig } from '../config/configSchema';
import { BadInputError } from '../contract/failures';

const safeSegment = /^[A-Za-z0-9_.-]+$/;

/** Per-tenant work directory under config.workDir; the tenant id must be a safe single path segment. */
export function tenantWorkDir(config: Pick<MigratorConfig, 'workDir'>, tenantId: string): string {
  if (!safeSegment.test(tenantId) || tenantId === '.' || tenantId === '..') {
    throw new BadInputError(`tenant id "${tenantId}" cannot name a work directory (use letters, digits, _ . -)`);
  }
  return join(resolve(config.workDir), tenantId);
}

export const downloadDir = (tenantDir: string) => join(tenantDir, 'download');
export const extractDir = (tenantDir: string) => join(tenantDir, 'extracted');

/** Bytes available to this (unprivileged) process on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** Total size of the files in `dir`, walked without following links. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else total += (await lstat(p)).size;
  }
  return total;
}

/** Every regular file under `dir`, as paths relative to it with `/` separators, sorted. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}
