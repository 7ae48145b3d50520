/**
 * The pool names an operator may throttle, from the worker config: every server (`<server>`) and
 * the restore host of every SQL Server (`restore-<server>`). Target locks (`target.*`) are not
 * throttles: their limit is 1 by design.
 */
import type { MigratorConfig } from '../config/configSchema';
import { loadConfig } from '../config/loadConfig';
import { didYouMean } from '../config/nameSuggestion';
import { CliError, ExitCode } from './operator';

export function configuredPools(config: MigratorConfig): Map<string, number> {
  const pools = new Map<string, number>();
  for (const [name, server] of Object.entries(config.servers)) {
    pools.set(name, server.maxConcurrency);
    if (server.kind === 'mssql') pools.set(`restore-${name}`, Math.min(2, server.maxConcurrency));
  }
  return pools;
}

/** The worker config from --config or MIGRATOR_CONFIG; a usage error (2) naming both when neither is set. */
export function cliConfig(path: string | undefined, why: string): MigratorConfig {
  const file = path ?? process.env.MIGRATOR_CONFIG;
  if (!file) throw new CliError(`${why} needs the worker config: pass --config <file> or set MIGRATOR_CONFIG`, ExitCode.Usage);
  try {
    return loadConfig(file);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
}

/** Refuses a pool the config does not know (exit 2), with the closest names. */
export function requireKnownPool(pool: string, config: MigratorConfig): void {
  if (pool.startsWith('target.')) {
    throw new CliError(`pool "${pool}" is a target lock (one migration per target database); its limit is always 1`, ExitCode.Usage);
  }
  const known = configuredPools(config);
  if (!known.has(pool)) {
    throw new CliError(`pool "${pool}" is not in the worker config${didYouMean(pool, known.keys())}; pools are server names and restore-<mssql server>`
      + ` (known: ${[...known.keys()].sort().join(', ') || 'none'})`, ExitCode.Usage);
  }
}
