import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DdlStep } from '../sourceEngine';
import { pgToolEnv, type PgEndpoint } from './connection';
import { FailureType, PermanentError } from '../../contract/failures';
import { StartedAhead } from '../startedAhead';

const run = promisify(execFile);

/**
 * Both schema sections from one pg_dump run (one catalog snapshot): pg_dump's start and catalog
 * reads cost more than half a second even for a tiny database, and pg_restore of the
 * schema-only archive prints each section as `pg_dump --section` would, without a connection.
 */
export function dumpSections(ep: PgEndpoint): Promise<{ preData: string; postData: string }> {
  return ahead.take(aheadKey(ep)) ?? dumpSectionsNow(ep);
}

/**
 * Dumps started ahead of their use, by server and database: describe starts the dump that create
 * schema (the next step, normally on the same worker) needs, so pg_dump runs while the model is
 * read and stored. Used once; forgotten after 30 s (a later call dumps afresh).
 */
const ahead = new StartedAhead<{ preData: string; postData: string }>(30_000);

function aheadKey(ep: PgEndpoint): string {
  return `${ep.serverName}\u0000${ep.database}`;
}

/** Starts the schema dump of `ep` now, for a dumpSections call in this process within 30 s. */
export function dumpSectionsAhead(ep: PgEndpoint): void {
  ahead.start(aheadKey(ep), () => dumpSectionsNow(ep));
}

async function dumpSectionsNow(ep: PgEndpoint): Promise<{ preData: string; postData: string }> {
  const { url, env } = pgToolEnv(ep);
  const dir = await mkdtemp(join(tmpdir(), 'tmig-schema-'));
  const archive = join(dir, 'schema.dump');
  try {
    try {
      await run('pg_dump', ['--schema-only', '--format=custom', '--no-owner', '--no-privileges',
        '--exclude-schema=_tmig', '--file', archive, '--dbname', url], { env });
    } catch (err) {
      throw dumpError(ep, 'schema', err);
    }
    const section = async (name: 'pre-data' | 'post-data') => {
      try {
        return (await run('pg_restore', [`--section=${name}`, '--no-owner', '--no-privileges', '--file', '-', archive],
          { env, maxBuffer: 512 * 1024 * 1024 })).stdout;
      } catch (err) {
        throw new Error(`pg_restore --section=${name} of the schema of "${ep.database}" on "${ep.serverName}" failed: ${stderrOf(err)}`);
      }
    };
    const [preData, postData] = await Promise.all([section('pre-data'), section('post-data')]);
    return { preData, postData };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function stderrOf(err: unknown): string {
  return String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
}

function dumpError(ep: PgEndpoint, what: string, err: unknown): Error {
  const stderr = stderrOf(err);
  if (/does not exist/.test(stderr) && /database/.test(stderr)) {
    return new PermanentError(FailureType.SourceMissing, `source database "${ep.database}" does not exist on server "${ep.serverName}"`);
  }
  return new Error(`pg_dump (${what}) of "${ep.database}" on "${ep.serverName}" failed: ${stderr}`);
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
