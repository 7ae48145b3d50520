/**
 * Doctor: the external programs tmig runs are installed, and pg_dump is at least as new as every
 * PostgreSQL server it must dump (pg_dump refuses servers of a newer major version).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MigratorConfig } from '../config/configSchema';
import { BSDTAR } from '../archives/extractors/libarchive';
import { fail, ok, reason, skip, warn, type CheckResult } from './checkResult';
import type { ServerFacts } from './serverChecks';

const run = promisify(execFile);

/** `pg_dump (PostgreSQL) 15.20 (Debian ...)` → 15; undefined when the tool is missing. */
export async function toolVersion(cmd: string, args = ['--version']): Promise<{ text: string; major?: number } | { error: string }> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 10_000 });
    const text = stdout.split('\n')[0].trim();
    const m = /(\d+)(?:\.\d+)*/.exec(text.replace(/^[^\d]*/, ''));
    return { text, major: m ? Number(m[1]) : undefined };
  } catch (err) {
    return { error: (err as { code?: string }).code === 'ENOENT' ? 'not installed (not on PATH)' : reason(err) };
  }
}

export async function checkTools(config: MigratorConfig, servers: ServerFacts[], pgDump = 'pg_dump'): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const pgServers = servers.filter((s) => s.kind === 'postgres');
  if (pgServers.length) {
    const v = await toolVersion(pgDump);
    if ('error' in v) results.push(fail('tools', 'pg_dump', `${v.error}: needed to read the schema of PostgreSQL sources (Debian: postgresql-client)`));
    else {
      results.push(ok('tools', 'pg_dump', v.text));
      for (const s of pgServers) {
        if (s.pgMajor === undefined) results.push(skip('tools', `pg_dump vs ${s.name}`, 'server unreachable: version unknown'));
        else if (v.major === undefined) results.push(warn('tools', `pg_dump vs ${s.name}`, `cannot read pg_dump's version from "${v.text}"`));
        else if (v.major < s.pgMajor) results.push(fail('tools', `pg_dump vs ${s.name}`, `pg_dump ${v.major} cannot dump PostgreSQL ${s.pgMajor}: install pg_dump ${s.pgMajor} or newer`));
        else results.push(ok('tools', `pg_dump vs ${s.name}`, `pg_dump ${v.major} can dump PostgreSQL ${s.pgMajor}`));
      }
    }
  }
  const backups = !!config.s3 || Object.values(config.servers).some((s) => s.kind === 'mssql');
  if (backups) {
    const v = await toolVersion(BSDTAR);
    results.push('error' in v
      ? warn('tools', BSDTAR, `${v.error}: .rar and .7z backups cannot be extracted (Debian: libarchive-tools); .zip and .gz still work`)
      : ok('tools', BSDTAR, v.text));
  }
  return results;
}
