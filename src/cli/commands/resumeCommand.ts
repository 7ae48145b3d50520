import type { Command } from 'commander';
import { EXIT_CODES_HELP, usageExitCodes } from '../operator';
import { signalMigration } from './pauseCommand';

export function registerResume(program: Command): void {
  usageExitCodes(program.command('resume'))
    .description('Resume a paused wave or tenant')
    .argument('<target>', 'wave id, tenant id, or workflow id (wave-<id>, tenant-<id>)')
    .addHelpText('after', `
Examples:
  $ tmig resume nightly-2026-11-21
  $ tmig resume tenant-hotel123
  $ temporal workflow signal --workflow-id wave-nightly --name resume   # same, stock CLI
${EXIT_CODES_HELP}`)
    .action(async (target: string, _opts: unknown, cmd: Command) => signalMigration(cmd, target, 'resume'));
}
