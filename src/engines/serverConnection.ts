/**
 * What every engine's server config shares (URL, password variable, pool limit) and the one
 * function that turns it into a connection URL. Secrets come from the environment, never from workflows.
 */
import { z } from 'zod';
import { BadInputError } from '../contract/failures';

export const serverBaseSchema = z.object({
  /** Connection URL without the password, e.g. postgres://migrator@db1:5432/postgres */
  url: z.string().min(1),
  /** Name of an environment variable that holds the password (the file need not). */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** Default permit limit of this server's pool in the concurrency governor. */
  maxConcurrency: z.number().int().positive().default(4),
});

export type ServerBase = z.infer<typeof serverBaseSchema>;

/** Connection URL for a database on a named server, with the password from the environment. Never log it. */
export function connectionUrl(server: Pick<ServerBase, 'url' | 'passwordEnv'>, serverName: string, database: string): string {
  const url = new URL(server.url);
  if (server.passwordEnv) {
    const password = process.env[server.passwordEnv];
    if (password === undefined) {
      throw new BadInputError(`server "${serverName}": environment variable ${server.passwordEnv} (passwordEnv) is not set`);
    }
    url.password = password;
  }
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}
