/**
 * Preflight of a wave manifest against the worker config, before anything starts: every server
 * name resolves, targets are PostgreSQL servers, and every source database exists. Lists every
 * problem at once. Shared by `tmig start`, `tmig check` and `tmig doctor`; never starts anything.
 */
import type { MigratorConfig, ServerConfig } from '../config/configSchema';
import type { MigrationWaveInput } from '../contract/migration';
import { didYouMean } from '../config/nameSuggestion';

export interface PreflightProblem {
  /** Where in the manifest, e.g. `tenants[3].source.server`, or `server pg-main` for a whole server. */
  where: string;
  tenantId?: string;
  message: string;
}

export interface PreflightResult {
  ok: boolean;
  problems: PreflightProblem[];
  /** Source databases checked for existence, per server. */
  checked: { server: string; databases: number }[];
}

export interface PreflightOptions {
  /** Connect to source servers and check each source database exists (default true). */
  checkDatabases?: boolean;
  /** Injected for tests: lists which of `databases` exist on a server. */
  listDatabases?: (serverName: string, server: ServerConfig, databases: string[]) => Promise<Set<string>>;
}

/** Resolves names and (optionally) checks source databases; returns every problem found. */
export async function preflightManifest(wave: MigrationWaveInput, config: MigratorConfig, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const problems: PreflightProblem[] = [];
  const known = Object.keys(config.servers);
  const wanted = new Map<string, { databases: Set<string>; tenants: Map<string, number[]> }>();

  wave.tenants.forEach((t, i) => {
    const source = config.servers[t.source.server];
    if (!source) {
      problems.push({ where: `tenants[${i}].source.server`, tenantId: t.tenantId,
        message: `server "${t.source.server}" is not in the worker config${didYouMean(t.source.server, known)}` });
    }
    const target = config.servers[t.target.server];
    if (!target) {
      problems.push({ where: `tenants[${i}].target.server`, tenantId: t.tenantId,
        message: `server "${t.target.server}" is not in the worker config${didYouMean(t.target.server, known)}` });
    } else if (target.kind !== 'postgres') {
      problems.push({ where: `tenants[${i}].target.server`, tenantId: t.tenantId,
        message: `server "${t.target.server}" is of kind ${target.kind}; targets must be postgres` });
    }
    if (t.backup && source && source.kind !== 'mssql') {
      problems.push({ where: `tenants[${i}].backup`, tenantId: t.tenantId,
        message: `a backup is restored only into an mssql server; "${t.source.server}" is ${source.kind}` });
    }
    // A tenant restored from a backup has no source database yet: it is created by the restore.
    if (source && !t.backup) {
      const entry = wanted.get(t.source.server) ?? { databases: new Set<string>(), tenants: new Map<string, number[]>() };
      entry.databases.add(t.source.database);
      entry.tenants.set(t.source.database, [...(entry.tenants.get(t.source.database) ?? []), i]);
      wanted.set(t.source.server, entry);
    }
  });

  const checked: PreflightResult['checked'] = [];
  if (opts.checkDatabases !== false) {
    // Loaded only when used: database drivers slow the CLI's start.
    const list = opts.listDatabases ?? (await import('./databaseExistence')).listExistingDatabases;
    await Promise.all([...wanted].map(async ([serverName, { databases, tenants }]) => {
      let existing: Set<string>;
      try {
        existing = await list(serverName, config.servers[serverName], [...databases]);
      } catch (err) {
        problems.push({ where: `server ${serverName}`,
          message: `cannot list databases on server "${serverName}" (${databases.size} source database(s) unchecked): ${describeCause(err)}` });
        return;
      }
      checked.push({ server: serverName, databases: databases.size });
      for (const db of databases) {
        if (existing.has(db)) continue;
        for (const i of tenants.get(db) ?? []) {
          problems.push({ where: `tenants[${i}].source.database`, tenantId: wave.tenants[i].tenantId,
            message: `source database "${db}" does not exist on server "${serverName}"${didYouMean(db, existing)}` });
        }
      }
    }));
  }
  problems.sort((a, b) => a.where.localeCompare(b.where, undefined, { numeric: true }));
  checked.sort((a, b) => a.server.localeCompare(b.server));
  return { ok: problems.length === 0, problems, checked };
}

/** The innermost message with its error type/code: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`. */
function describeCause(err: unknown): string {
  let e = err as { message?: string; code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  while (e && (e.cause || (Array.isArray(e.errors) && e.errors.length))) {
    e = (e.cause ?? e.errors![0]) as typeof e;
  }
  const msg = e?.message || String(err);
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

/** Plain-text rendering: one line per problem, for the CLI. */
export function renderPreflight(result: PreflightResult): string {
  if (result.ok) {
    const dbs = result.checked.reduce((s, c) => s + c.databases, 0);
    return `preflight ok: every server name resolves${dbs ? `, ${dbs} source database(s) exist` : ''}`;
  }
  return [`preflight found ${result.problems.length} problem(s); nothing was started:`,
    ...result.problems.map((p) => `  ${p.where}${p.tenantId ? ` (tenant ${p.tenantId})` : ''}: ${p.message}`)].join('\n');
}
