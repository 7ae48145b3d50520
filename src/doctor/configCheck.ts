/** Doctor: the worker config loads and validates, and every passwordEnv it names is set. */
import { parseConfig } from '../config/loadConfig';
import type { MigratorConfig } from '../config/configSchema';
import { readFileSync } from 'node:fs';
import { fail, ok, type CheckResult } from './checkResult';

export function checkConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): { results: CheckResult[]; config?: MigratorConfig } {
  if (!path) return { results: [fail('config', 'MIGRATOR_CONFIG', 'not set: pass --config <file> or set MIGRATOR_CONFIG to the worker config (JSON or YAML)')] };
  let config: MigratorConfig;
  try {
    config = parseConfig(readFileSync(path, 'utf8'), path);
  } catch (err) {
    return { results: [fail('config', path, (err as Error).message.replace(/^config [^:]*: /, ''))] };
  }
  const results = [ok('config', path, `valid: ${Object.keys(config.servers).length} servers (${Object.keys(config.servers).join(', ')})`)];
  for (const [name, server] of Object.entries(config.servers)) {
    if (server.passwordEnv && env[server.passwordEnv] === undefined) {
      results.push(fail('config', name, `passwordEnv ${server.passwordEnv} is not set in this environment`));
    }
  }
  for (const [what, varName] of [['s3 access key', config.s3?.accessKeyIdEnv], ['s3 secret key', config.s3?.secretAccessKeyEnv]] as const) {
    if (varName && env[varName] === undefined) results.push(fail('config', 's3', `${what}: ${varName} is not set in this environment`));
  }
  return { results, config };
}
