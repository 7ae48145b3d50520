import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchemaFor, type MigratorConfig, type ServerConfig } from './configSchema';
import { engineDescriptors } from '../engines/registry';
import { formatZodError } from '../contract/formatZodError';
import { BadInputError } from '../contract/failures';

let cached: { path: string; config: MigratorConfig } | undefined;

/** Parses and validates a config document; errors name the offending field. */
export function parseConfig(text: string, origin: string): MigratorConfig {
  let raw: unknown;
  try {
    raw = origin.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new BadInputError(`config ${origin}: not valid JSON/YAML: ${(err as Error).message}`);
  }
  const result = configSchemaFor(engineDescriptors()).safeParse(raw);
  if (!result.success) throw new BadInputError(`config ${origin}: ${formatZodError(result.error)}`);
  return result.data;
}

/** Loads the worker's config from MIGRATOR_CONFIG (cached per path). */
export function loadConfig(path = process.env.MIGRATOR_CONFIG): MigratorConfig {
  if (!path) throw new BadInputError('MIGRATOR_CONFIG is not set: point it at the servers config file (JSON or YAML)');
  if (cached?.path === path) return cached.config;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`config ${path}: cannot read: ${(err as Error).message}`);
  }
  const config = parseConfig(text, path);
  cached = { path, config };
  return config;
}

export function resetConfigCache(): void {
  cached = undefined;
}

export function serverConfig(config: MigratorConfig, name: string): ServerConfig {
  const server = config.servers[name];
  if (!server) {
    throw new BadInputError(`server "${name}" is not in the worker config (known: ${Object.keys(config.servers).join(', ') || 'none'})`);
  }
  return server;
}


/** The backup share of a server that restores backups (`backupDir`), when its kind has one. */
export function backupDirOf(server: ServerConfig): { worker: string; server: string } | undefined {
  return 'backupDir' in server ? server.backupDir : undefined;
}

/**
 * The server's URL pointed at one database, without a password (passwords never travel in URLs:
 * `%` in them would be decoded twice). The database name is percent-encoded once, here.
 */
export function databaseUrl(server: ServerConfig, database: string): URL {
  const url = new URL(server.url);
  url.password = '';
  url.pathname = '/' + encodeURIComponent(database);
  return url;
}

/** PostgreSQL and SQL Server identifiers (database names) longer than this are cut, and then collide. */
export const MAX_DATABASE_NAME_BYTES = 63;
