/**
 * `tmig doctor`: runs every check in order (config, servers, online prerequisites, Temporal, search
 * attributes, workers, disk, tools) and returns the findings; printing and exit codes are the CLI's.
 */
import type { TemporalOverrides } from '../temporal/connectionSettings';
import { checkConfig } from './configCheck';
import { checkServers } from './serverChecks';
import { checkTemporal } from './temporalChecks';
import { checkDisk } from './diskCheck';
import { checkTools } from './toolChecks';
import { skip, type CheckResult } from './checkResult';

export interface DoctorOptions {
  configPath?: string;
  temporal: TemporalOverrides;
  /** Online-migration prerequisites (wal_level, REPLICATION, slots) fail instead of warn. */
  online?: boolean;
  minFreeBytes: number;
  /** Skip the Temporal checks (e.g. checking a database host before Temporal exists). */
  skipTemporal?: boolean;
  pgDump?: string;
}

export async function runDoctor(opts: DoctorOptions): Promise<CheckResult[]> {
  const { results, config } = checkConfig(opts.configPath);
  const temporal = opts.skipTemporal
    ? Promise.resolve([skip('temporal', 'all', '--skip-temporal')])
    : checkTemporal(opts.temporal);
  if (!config) return [...results, ...await temporal];
  const servers = await checkServers(config, { online: opts.online });
  const [t, tools] = await Promise.all([temporal, checkTools(config, servers.facts, opts.pgDump)]);
  return [...results, ...servers.results, ...t, ...checkDisk(config, opts.minFreeBytes), ...tools];
}

/** 0 when nothing failed (warnings allowed), 1 when a check failed; `strict` counts warnings as failures. */
export function doctorExitCode(results: CheckResult[], strict = false): number {
  return results.some((r) => r.status === 'fail' || (strict && r.status === 'warn')) ? 1 : 0;
}
