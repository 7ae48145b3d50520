import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DdlStep } from '../sourceEngine';
import { pgToolEnv, type PgEndpoint } from './connection';
import { FailureType, PermanentError } from '../../contract/failures';

const run = promisify(execFile);

/** Schema DDL of a section, from pg_dump (roles and grants are cluster-level: not carried). */
export async function dumpSection(ep: PgEndpoint, section: 'pre-data' | 'post-data'): Promise<string> {
  const { url, env } = pgToolEnv(ep);
  try {
    const { stdout } = await run('pg_dump', ['--schema-only', `--section=${section}`, '--no-owner', '--no-privileges',
      '--exclude-schema=_tmig', '--dbname', url], { env, maxBuffer: 512 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message);
    if (/does not exist/.test(stderr) && /database/.test(stderr)) {
      throw new PermanentError(FailureType.SourceMissing, `source database "${ep.database}" does not exist on server "${ep.serverName}"`);
    }
    throw new Error(`pg_dump --section=${section} of "${ep.database}" on "${ep.serverName}" failed: ${stderr.trim()}`);
  }
}

/** Drops psql meta-commands (\restrict ...) that newer pg_dump versions emit: we execute through the driver. */
export function stripMetaCommands(sql: string): string {
  return sql.split('\n').filter((line) => !line.startsWith('\\')).join('\n');
}

const tocHeader = /^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: .*$/;

const groupOfType: Record<string, number> = {
  INDEX: 0,
  CONSTRAINT: 0,
  'INDEX ATTACH': 1,
  'FK CONSTRAINT': 2,
};

/**
 * Splits pg_dump's post-data script into one step per TOC entry. Indexes and key
 * constraints (group 0) are independent and build in parallel; attachments, foreign keys,
 * triggers and the like follow; materialized views refresh last, one at a time, in dump order.
 */
export function splitPostData(sql: string): DdlStep[] {
  const steps: DdlStep[] = [];
  let current: { label: string; type: string; lines: string[] } | null = null;
  let matviews = 0;
  const flush = () => {
    if (!current) return;
    const body = current.lines.filter((l) => !l.startsWith('--') && !l.startsWith('\\')).join('\n').trim();
    if (body) {
      const group = current.type === 'MATERIALIZED VIEW DATA' ? 10 + matviews++ : (groupOfType[current.type] ?? 3);
      // Labels key the exactly-once DDL bookkeeping, so they must be unique.
      const seen = steps.filter((s) => s.label === current!.label || s.label.startsWith(`${current!.label} #`)).length;
      steps.push({ label: seen ? `${current.label} #${seen + 1}` : current.label, sql: body, group });
    }
  };
  for (const line of sql.split('\n')) {
    const m = tocHeader.exec(line);
    if (m) {
      flush();
      current = { label: `${m[2]} ${m[3]}.${m[1]}`, type: m[2], lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return steps;
}
