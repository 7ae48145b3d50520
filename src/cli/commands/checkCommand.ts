import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig';
import { preflightManifest, renderPreflight, type PreflightResult } from '../../preflight/manifestPreflight';
import type { MigrationWaveInput } from '../../contract/migration';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes } from '../operator';
import { readManifest } from '../manifestFile';

/** Runs the preflight; throws a usage error (exit 2) listing every problem. */
export async function runPreflight(input: MigrationWaveInput, configPath: string, opts: { checkDatabases?: boolean } = {}): Promise<PreflightResult> {
  let config;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
  const result = await preflightManifest(input, config, opts);
  if (!result.ok) throw new CliError(renderPreflight(result), ExitCode.Usage);
  return result;
}

export function registerCheck(program: Command): void {
  usageExitCodes(program.command('check'))
    .description('preflight a manifest: every server name resolves in the worker config, targets are postgres, every source database exists; starts nothing')
    .argument('<manifest>', 'manifest file (JSON or YAML)')
    .option('--config <file>', 'worker config (default: MIGRATOR_CONFIG)')
    .option('--no-databases', 'only resolve names; do not connect to the source servers')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  tmig check examples/wave.json --config config.yaml
  MIGRATOR_CONFIG=config.yaml tmig check wave.yaml --json
Exit code 0 when everything resolves, 2 with every problem listed.
${EXIT_CODES_HELP}`)
    .action(async (manifestPath: string, opts: { config?: string; databases: boolean; json?: boolean }) => {
      const input = readManifest(manifestPath);
      const configPath = opts.config ?? process.env.MIGRATOR_CONFIG;
      if (!configPath) throw new CliError('tmig check needs the worker config: pass --config <file> or set MIGRATOR_CONFIG', ExitCode.Usage);
      if (opts.json) {
        let config;
        try {
          config = loadConfig(configPath);
        } catch (err) {
          throw new CliError((err as Error).message, ExitCode.Usage);
        }
        const result = await preflightManifest(input, config, { checkDatabases: opts.databases });
        outJson(result);
        if (!result.ok) process.exitCode = ExitCode.Usage;
        return;
      }
      out(renderPreflight(await runPreflight(input, configPath, { checkDatabases: opts.databases })));
    });
}
