import { Client } from 'pg';
import { connectionUrl, type ServerBase } from '../serverConnection';
import { CANONICAL_SESSION_SETTINGS } from '../copyText';
import { FailureType, PermanentError } from '../../contract/failures';

export interface PgEndpoint {
  serverName: string;
  server: Pick<ServerBase, 'url' | 'passwordEnv'>;
  database: string;
}

/** Opens a client with the canonical session settings, so COPY text is byte-identical on both sides. */
export async function connectPg(ep: PgEndpoint, opts: { role: 'source' | 'target' | 'admin'; appName?: string } = { role: 'admin' }): Promise<Client> {
  const client = new Client({
    connectionString: connectionUrl(ep.server, ep.serverName, ep.database),
    application_name: opts.appName ?? `tmig-${opts.role}`,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  // An idle-client error must not crash the worker; the next query on it fails and is retried.
  client.on('error', () => undefined);
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
  const settings = Object.entries(CANONICAL_SESSION_SETTINGS)
    .map(([k, v]) => `SET ${k} = '${v}'`).join('; ');
  // An online tenant's target is frozen for applications until cutover; tmig itself still writes.
  await client.query(opts.role === 'target' ? `${settings}; SET default_transaction_read_only = off` : settings);
  return client;
}

/** Environment for pg_dump/psql child processes: the password goes through PGPASSWORD, never argv. */
export function pgToolEnv(ep: PgEndpoint): { url: string; env: NodeJS.ProcessEnv } {
  const url = new URL(connectionUrl(ep.server, ep.serverName, ep.database));
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), env };
}
