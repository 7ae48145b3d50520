/** Doctor: the directories backups, extracted archives and reports land in exist (or can be created), are writable, and have free space. */
import { existsSync, mkdtempSync, rmdirSync, statSync, statfsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { MigratorConfig } from '../config/configSchema';
import { fail, ok, warn, type CheckResult } from './checkResult';

const GiB = 1024 ** 3;

function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Free bytes and writability of `path` (or of its nearest existing parent, where it would be created). */
export function checkDirectory(what: string, path: string, minFreeBytes: number): CheckResult {
  const at = nearestExisting(path);
  const subject = `${what} ${path}`;
  const where = at === resolve(path) ? path : `${at} (where ${path} would be created)`;
  if (!statSync(at).isDirectory()) return fail('disk', subject, `${where} is a file, not a directory`);
  try {
    // A real write, not access(2): root passes access checks even where writes fail (read-only mounts).
    rmdirSync(mkdtempSync(join(at, '.tmig-doctor-')));
  } catch (err) {
    return fail('disk', subject, `${where} is not writable by this user (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  const s = statfsSync(at);
  const free = s.bavail * s.bsize;
  const text = `${(free / GiB).toFixed(1)} GiB free${at === resolve(path) ? '' : ` (on ${at}; created when first used)`}`;
  return free < minFreeBytes ? warn('disk', subject, `${text}, below the ${(minFreeBytes / GiB).toFixed(1)} GiB asked for (--min-free-gb)`) : ok('disk', subject, text);
}

export function checkDisk(config: MigratorConfig, minFreeBytes: number): CheckResult[] {
  const dirs: [string, string][] = [['workDir', config.workDir], ['reports', config.reports.dir]];
  for (const [name, server] of Object.entries(config.servers)) {
    if (server.kind === 'mssql' && server.backupDir) dirs.push([`${name} backupDir`, server.backupDir.worker]);
  }
  return dirs.map(([what, path]) => checkDirectory(what, path, minFreeBytes));
}
