import sql from 'mssql';
import { databaseUrl, serverPassword } from '../serverConnection';
import type { MssqlServerSettings as ServerConfig } from './serverConfig';
import { BadInputError, FailureType, PermanentError } from '../../contract/failures';

/**
 * Connection settings for a named SQL Server. The server's `url` looks like
 * `mssql://migrator@sql1:1433/master?encrypt=true&trustServerCertificate=true&instanceName=X`
 * (no password: it comes from `passwordEnv`). The result holds the password: never log it.
 */
export function mssqlConfig(serverName: string, server: ServerConfig, database: string): sql.config {
  let url: URL;
  try {
    url = databaseUrl(server, database);
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(`server "${serverName}": url is not a valid URL`);
  }
  if (!/^(mssql|sqlserver):$/.test(url.protocol)) {
    throw new BadInputError(`server "${serverName}": url must start with mssql:// (got ${url.protocol}//)`);
  }
  const q = url.searchParams;
  const bool = (name: string, dflt: boolean) => (q.has(name) ? /^(1|true|yes)$/i.test(q.get(name)!) : dflt);
  const instanceName = q.get('instanceName') ?? undefined;
  return {
    server: url.hostname,
    port: url.port ? Number(url.port) : instanceName ? undefined : 1433,
    user: decodeURIComponent(url.username),
    // As set in the environment: decoding it as a URL part would corrupt a `%`.
    password: serverPassword(server, serverName) ?? '',
    database,
    connectionTimeout: Number(q.get('connectTimeout') ?? 30_000),
    // Chunk reads and restores can run long; heartbeats, not this timeout, detect stalls.
    requestTimeout: Number(q.get('requestTimeout') ?? 0),
    pool: { max: Number(q.get('poolMax') ?? 4), min: 0, idleTimeoutMillis: 30_000 },
    options: {
      encrypt: bool('encrypt', true),
      trustServerCertificate: bool('trustServerCertificate', false),
      instanceName,
      appName: 'tmig',
      useUTC: true,
    },
  };
}

/** SQL Server error number for "Cannot open database ... requested by the login". */
const CANNOT_OPEN_DATABASE = 4060;
/** "Login failed for user": wrong user or password, retrying does not help. */
const LOGIN_FAILED = 18456;

/** Opens a pool; a database that does not exist becomes PermanentError(SourceMissing). */
export async function openPool(serverName: string, server: ServerConfig, database: string): Promise<sql.ConnectionPool> {
  const pool = new sql.ConnectionPool(mssqlConfig(serverName, server, database));
  try {
    await pool.connect();
  } catch (err) {
    // Babelfish answers a login to a missing database with `database "x" does not exist` and no number.
    if (errorNumber(err) === CANNOT_OPEN_DATABASE || /Cannot open database|^database ".*" does not exist/i.test(String((err as Error).message))) {
      throw new PermanentError(FailureType.SourceMissing, `server "${serverName}": database "${database}" does not exist or cannot be opened`);
    }
    if (errorNumber(err) === LOGIN_FAILED || /^Login failed for user/i.test(String((err as Error).message))) {
      throw new BadInputError(`server "${serverName}": login failed (check the user in its url and the password in its passwordEnv variable)`);
    }
    throw err;
  }
  pool.on('error', () => undefined);
  return pool;
}

/** The SQL Server error number of a driver error (ConnectionError/RequestError wrap tedious errors). */
export function errorNumber(err: unknown): number | undefined {
  const e = err as { number?: number; originalError?: { number?: number; errors?: { number?: number }[] }; precedingErrors?: { number?: number }[] };
  return e?.number ?? e?.originalError?.number ?? e?.originalError?.errors?.[0]?.number ?? e?.precedingErrors?.[0]?.number;
}
