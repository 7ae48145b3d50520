/** Reads a wave manifest file (JSON or YAML) for the CLI; errors name the file and field, exit code 2. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { waveSchema } from '../contract/manifestSchema';
import { formatZodError } from '../contract/formatZodError';
import type { MigrationWaveInput } from '../contract/migration';
import { CliError, ExitCode } from './operator';

/** Reads and validates a manifest file (JSON or YAML); errors name the field. */
export function readManifest(path: string): MigrationWaveInput {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(`manifest ${path}: ${(err as Error).message}`, ExitCode.Usage);
  }
  const parsed = waveSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`manifest ${path}: ${formatZodError(parsed.error)}`, ExitCode.Usage);
  return parsed.data;
}
