import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { waveSchema } from '../../contract/manifestSchema';
import { formatZodError } from '../../contract/formatZodError';
import { connectClient } from '../../temporal/connection';
import { TASK_QUEUE, WorkflowType, waveWorkflowId } from '../../contract/names';
import type { MigrationWaveInput } from '../../contract/migration';
import { WaveIdKey } from '../../contract/searchAttributes';
import { globalTarget } from '../temporalTarget';
import { usageExitCodes } from '../operator';

/** Reads and validates a manifest file (JSON or YAML); errors name the field. */
export function readManifest(path: string): MigrationWaveInput {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw Object.assign(new Error(`manifest ${path}: ${(err as Error).message}`), { exitCode: 2 });
  }
  const parsed = waveSchema.safeParse(raw);
  if (!parsed.success) throw Object.assign(new Error(`manifest ${path}: ${formatZodError(parsed.error)}`), { exitCode: 2 });
  return parsed.data;
}

export function registerStart(program: Command): void {
  usageExitCodes(program.command('start'))
    .description('start a migration wave from a manifest (JSON or YAML)')
    .argument('<manifest>', 'manifest file: { waveId, tenants: [...], options }')
    .option('--wait', 'wait for the wave to finish and exit 4 if any tenant failed')
    .addHelpText('after', '\nExample:\n  tmig start examples/wave.json --wait')
    .action(async (manifestPath: string, opts: { wait?: boolean }, cmd: Command) => {
      const input = readManifest(manifestPath);
      const client = await connectClient(globalTarget(cmd));
      const handle = await client.workflow.start(WorkflowType.migrationWave, {
        workflowId: waveWorkflowId(input.waveId), taskQueue: TASK_QUEUE, args: [input],
        typedSearchAttributes: [{ key: WaveIdKey, value: input.waveId }],
      });
      console.log(`started wave ${input.waveId}: workflow ${handle.workflowId} (${input.tenants.length} tenants)`);
      if (opts.wait) {
        const result = await handle.result() as { succeeded: unknown[]; failed: { tenantId: string; error?: string }[] };
        console.log(`wave ${input.waveId}: ${result.succeeded.length} succeeded, ${result.failed.length} failed`);
        for (const f of result.failed) console.log(`  FAILED ${f.tenantId}: ${f.error}`);
        if (result.failed.length) process.exitCode = 4;
      }
    });
}
