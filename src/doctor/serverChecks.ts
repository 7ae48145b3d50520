/**
 * Doctor: each configured database server is reachable with its configured login, and has what
 * tmig needs of it: CREATEDB on PostgreSQL (targets), dbcreator on SQL Server (restores), and for
 * online migration from PostgreSQL wal_level=logical, replication slots, senders and REPLICATION.
 */
import { Client } from 'pg';
import type { MigratorConfig, ServerConfig } from '../config/configSchema';
import { connectionUrl } from '../engines/serverConnection';
import { openPool } from '../engines/mssql/connection';
import { fail, ok, reason, skip, warn, type CheckResult } from './checkResult';

export interface ServerFacts {
  name: string;
  kind: ServerConfig['kind'];
  reachable: boolean;
  /** PostgreSQL major version (e.g. 15), when reachable. */
  pgMajor?: number;
}

const hostOf = (server: ServerConfig) => {
  try {
    const u = new URL(server.url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return 'invalid url';
  }
};

export interface ServerCheckOptions {
  /** Online-migration prerequisites fail instead of warn. */
  online?: boolean;
  timeoutMs?: number;
}

export async function checkServer(name: string, server: ServerConfig, opts: ServerCheckOptions = {}): Promise<{ results: CheckResult[]; facts: ServerFacts }> {
  if (server.kind === 'mongodb' || server.kind === 'mysql') {
    // Lazy-migration servers: their connections are checked by `tmig lazy start` (install), not here yet.
    return { results: [skip('server', name, `${server.kind} server at ${hostOf(server)}: not checked by doctor`)], facts: { name, kind: server.kind, reachable: false } };
  }
  return server.kind === 'postgres' ? checkPostgres(name, server, opts) : checkMssql(name, server, opts);
}

async function checkPostgres(name: string, server: ServerConfig, opts: ServerCheckOptions): Promise<{ results: CheckResult[]; facts: ServerFacts }> {
  const facts: ServerFacts = { name, kind: 'postgres', reachable: false };
  const subject = `${name} (postgres ${hostOf(server)})`;
  let db: Client;
  try {
    const database = decodeURIComponent(new URL(server.url).pathname.slice(1)) || 'postgres';
    db = new Client({ connectionString: connectionUrl(server, name, database), connectionTimeoutMillis: opts.timeoutMs ?? 5000, application_name: 'tmig-doctor' });
    db.on('error', () => undefined);
    await db.connect();
  } catch (err) {
    return { results: [fail('server', subject, `cannot connect: ${reason(err)}`)], facts };
  }
  try {
    facts.reachable = true;
    const r = await db.query<{ v: string; num: string; rolsuper: boolean; rolcreatedb: boolean; rolreplication: boolean; wal_level: string; slots: string; senders: string }>(
      `SELECT version() AS v, current_setting('server_version_num') AS num, r.rolsuper, r.rolcreatedb, r.rolreplication,
        current_setting('wal_level') AS wal_level, current_setting('max_replication_slots') AS slots, current_setting('max_wal_senders') AS senders
       FROM pg_roles r WHERE r.rolname = current_user`);
    const f = r.rows[0];
    facts.pgMajor = Math.floor(Number(f.num) / 10000);
    const results: CheckResult[] = [ok('server', subject, `connected: PostgreSQL ${facts.pgMajor} (${f.v.split(' on ')[0]})`)];
    results.push(f.rolsuper || f.rolcreatedb
      ? ok('privileges', subject, `role may create databases (${f.rolsuper ? 'superuser' : 'CREATEDB'})`)
      : warn('privileges', subject, 'role lacks CREATEDB: this server cannot be a migration target'));
    const online = opts.online ? fail : warn;
    const gaps: string[] = [];
    if (f.wal_level !== 'logical') gaps.push(`wal_level is ${f.wal_level} (needs logical; set it and restart)`);
    if (Number(f.slots) < 1) gaps.push('max_replication_slots is 0');
    if (Number(f.senders) < 1) gaps.push('max_wal_senders is 0');
    if (!f.rolsuper && !f.rolreplication) gaps.push('role lacks REPLICATION (ALTER ROLE ... REPLICATION)');
    results.push(gaps.length
      ? online('online', subject, `online migration (CDC) from this server is not possible: ${gaps.join('; ')}`)
      : ok('online', subject, `ready for online migration: wal_level=logical, ${f.slots} slots, ${f.senders} senders, ${f.rolsuper ? 'superuser' : 'REPLICATION'}`));
    return { results, facts };
  } catch (err) {
    return { results: [fail('server', subject, `connected but the checks failed: ${reason(err)}`)], facts };
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function checkMssql(name: string, server: ServerConfig, _opts: ServerCheckOptions): Promise<{ results: CheckResult[]; facts: ServerFacts }> {
  const facts: ServerFacts = { name, kind: 'mssql', reachable: false };
  const subject = `${name} (mssql ${hostOf(server)})`;
  let pool: Awaited<ReturnType<typeof openPool>>;
  try {
    pool = await openPool(name, server, 'master');
  } catch (err) {
    return { results: [fail('server', subject, `cannot connect: ${reason(err)}`)], facts };
  }
  try {
    facts.reachable = true;
    const r = await pool.request().query<{ v: string; major: string; dbcreator: number; sysadmin: number }>(
      `SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v, CAST(SERVERPROPERTY('ProductMajorVersion') AS nvarchar(16)) AS major,
        IS_SRVROLEMEMBER('dbcreator') AS dbcreator, IS_SRVROLEMEMBER('sysadmin') AS sysadmin`);
    const f = r.recordset[0];
    const results = [ok('server', subject, `connected: SQL Server ${f.v}`)];
    results.push(f.sysadmin === 1 || f.dbcreator === 1
      ? ok('privileges', subject, `login may restore backups (${f.sysadmin === 1 ? 'sysadmin' : 'dbcreator'})`)
      : warn('privileges', subject, 'login is not in dbcreator: restoring .bak backups will fail (live databases can still be read)'));
    return { results, facts };
  } catch (err) {
    return { results: [fail('server', subject, `connected but the checks failed: ${reason(err)}`)], facts };
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export async function checkServers(config: MigratorConfig, opts: ServerCheckOptions = {}): Promise<{ results: CheckResult[]; facts: ServerFacts[] }> {
  const all = await Promise.all(Object.entries(config.servers).map(([name, server]) => checkServer(name, server, opts)));
  return { results: all.flatMap((a) => a.results), facts: all.map((a) => a.facts) };
}
