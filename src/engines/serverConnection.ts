/**
 * What every engine's server config shares (URL, password variable, pool limit) and the one
 * function that turns it into a connection URL. Secrets come from the environment, never from workflows.
 */
import { z } from 'zod';
import { BadInputError } from '../contract/failures';

/**
 * The shared fields, with the URL schemes that this engine's driver takes: each engine's
 * `serverConfig.ts` names its own, so a URL of another engine (mysql:// on a postgres server) is
 * refused naming the field, and adding an engine touches nothing here.
 */
export function serverBaseFor(schemes: readonly string[], example: string) {
  return z.object({
    /**
     * Connection URL without the password, e.g. postgres://migrator@db1:5432/postgres. A password
     * in it (user:pass@ or ?password=) is refused: it would reach logs and pg_dump's argv.
     */
    url: z.string().min(1).superRefine((text, ctx) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: `not a URL: expected e.g. ${example}` });
        return;
      }
      if (!schemes.includes(url.protocol.replace(/:$/, ''))) {
        ctx.addIssue({ code: 'custom', message: `scheme ${url.protocol} is not one of ${schemes.map((x) => `${x}:`).join(', ')} (e.g. ${example})` });
      }
      if (url.password || [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'password')) {
        ctx.addIssue({ code: 'custom', message: 'must not contain a password: put it in an environment variable and name that in passwordEnv' });
      }
    }),
    /** Name of an environment variable that holds the password (the file need not). */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    /** Default permit limit of this server's pool in the concurrency governor. */
    maxConcurrency: z.number().int().positive().default(4),
  });
}

export type ServerBase = z.infer<ReturnType<typeof serverBaseFor>>;

/** The server's password from its passwordEnv variable, exactly as set (no URL decoding). Never log it. */
export function serverPassword(server: Pick<ServerBase, 'passwordEnv'>, serverName: string): string | undefined {
  if (!server.passwordEnv) return undefined;
  const password = process.env[server.passwordEnv];
  if (password === undefined) {
    throw new BadInputError(`server "${serverName}": environment variable ${server.passwordEnv} (passwordEnv) is not set`);
  }
  return password;
}

/**
 * The server's URL pointed at one database, without a password (passwords never travel in URLs:
 * `%` in them would be decoded twice). The database name is percent-encoded once, here.
 */
export function databaseUrl(server: Pick<ServerBase, 'url'>, database: string): URL {
  const url = new URL(server.url);
  url.password = '';
  url.pathname = '/' + encodeURIComponent(database);
  return url;
}

/** PostgreSQL identifiers (database names) longer than this are cut, and then collide. */
export const MAX_DATABASE_NAME_BYTES = 63;

/** A full connection URL with the password (encoded once). For tools that only take URLs; never log it. */
export function connectionUrl(server: Pick<ServerBase, 'url' | 'passwordEnv'>, serverName: string, database: string): string {
  const url = databaseUrl(server, database);
  const password = serverPassword(server, serverName);
  if (password !== undefined) url.password = encodeURIComponent(password);
  return url.toString();
}
