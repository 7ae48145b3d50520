import { Client, type ClientConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { databaseUrl, MAX_DATABASE_NAME_BYTES, serverPassword, type ServerBase } from '../serverConnection';
import { CANONICAL_SESSION_SETTINGS } from '../copyText';
import { BadInputError, FailureType, PermanentError } from '../../contract/failures';
import { redactStatement } from '../../contract/sqlState';
import { parkOnEnd, poolingEnabled, realEnd, takeParked } from './sessionPool';

export interface PgEndpoint {
  serverName: string;
  server: Pick<ServerBase, 'url' | 'passwordEnv'>;
  database: string;
}

/**
 * Settings of every migrator session besides the canonical ones:
 * - row_security off: a role subject to row-level security fails loudly (as pg_dump does)
 *   instead of copying, counting and validating only the rows a policy lets it see;
 * - idle_in_transaction_session_timeout: a stale attempt (its worker gone, its socket not) cannot
 *   hold a checkpoint row lock, and so block its range, forever.
 */
export const MIGRATOR_SESSION_SETTINGS: Record<string, string> = {
  row_security: 'off',
  idle_in_transaction_session_timeout: '5min',
};

/** Opens a client with the canonical session settings, so COPY text is byte-identical on both sides. */
export async function connectPg(ep: PgEndpoint, opts: { role: 'source' | 'target' | 'admin'; appName?: string } = { role: 'admin' }): Promise<Client> {
  const settings = sessionSettingsSql(opts.role);
  // Tenant databases' sessions are pooled per worker (admin sessions create and drop databases: never).
  const key = opts.role !== 'admin' && poolingEnabled() ? `${ep.serverName}|${ep.server.url}|${ep.database}|${opts.role}|${opts.appName ?? ''}` : undefined;
  for (let reused = key ? takeParked(key) : undefined; reused; reused = takeParked(key!)) {
    try {
      // RESET ALL drops whatever the last user SET; the session is idle outside a transaction (see sessionPool).
      await reused.query(`RESET ALL; ${settings}`);
      return reused;
    } catch {
      await realEnd(reused);
    }
  }
  const client = new Client({
    ...pgClientConfig(ep),
    application_name: opts.appName ?? `tmig-${opts.role}`,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  // An idle-client error must not crash the worker; the next query on it fails and is retried.
  client.on('error', () => undefined);
  attachStatements(client);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === '3D000' && opts.role === 'source') {
      throw new PermanentError(FailureType.SourceMissing,
        `source database "${ep.database}" does not exist on server "${ep.serverName}"`);
    }
    throw err;
  }
  await client.query(settings);
  if (key) parkOnEnd(client, key, ep.database);
  return client;
}

function sessionSettingsSql(role: 'source' | 'target' | 'admin'): string {
  const settings = Object.entries({ ...CANONICAL_SESSION_SETTINGS, ...MIGRATOR_SESSION_SETTINGS })
    .map(([k, v]) => `SET ${k} = '${v}'`).join('; ');
  // An online tenant's target is frozen for applications until cutover; tmig itself still writes.
  return role === 'target' ? `${settings}; SET default_transaction_read_only = off` : settings;
}

/**
 * Client settings built from parts: host, port, user and options from the server's URL; the
 * database name and the password as they are (no URL round trip that would decode `%` twice).
 */
export function pgClientConfig(ep: PgEndpoint): ClientConfig {
  checkDatabaseName(ep);
  const { database: _ignored, password: _none, ...parts } = parseConnectionString(ep.server.url);
  return { ...(parts as ClientConfig), database: ep.database, password: serverPassword(ep.server, ep.serverName) };
}

/** PostgreSQL cuts longer names to 63 bytes: a longer name would silently address another database. */
function checkDatabaseName(ep: PgEndpoint): void {
  const bytes = Buffer.byteLength(ep.database, 'utf8');
  if (bytes > MAX_DATABASE_NAME_BYTES) {
    throw new BadInputError(`database "${ep.database}" on server "${ep.serverName}" is ${bytes} bytes long; PostgreSQL names are at most ${MAX_DATABASE_NAME_BYTES} bytes`);
  }
}

/** Environment for pg_dump/psql child processes: the password goes through PGPASSWORD, never argv. */
export function pgToolEnv(ep: PgEndpoint): { url: string; env: NodeJS.ProcessEnv } {
  checkDatabaseName(ep);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const password = serverPassword(ep.server, ep.serverName);
  if (password !== undefined) env.PGPASSWORD = password;
  return { url: databaseUrl(ep.server, ep.database).toString(), env };
}

/**
 * Errors of this client carry the statement that failed (redacted: no literals), so a permanent
 * error can name it. Covers promise queries and COPY streams.
 */
function attachStatements(client: Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const tag = (err: unknown, text: unknown) => {
    if (err && typeof err === 'object' && typeof text === 'string' && !('statement' in err)) {
      Object.defineProperty(err, 'statement', { value: redactStatement(text), enumerable: false });
    }
    return err;
  };
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0] as { text?: unknown } | string;
    const text = typeof first === 'string' ? first : first?.text;
    const res = query(...args) as { then?: unknown; catch?: (f: (e: unknown) => never) => unknown; on?: (ev: string, f: (e: unknown) => void) => void };
    if (res && typeof res.then === 'function' && res.catch) return res.catch((err) => { throw tag(err, text); });
    if (res && typeof res.on === 'function') res.on('error', (err) => tag(err, text));
    return res;
  };
}
