import { Command } from 'commander';
import { registerCommands } from './commands';
import { causeChainText, failureCause, oneLineCause } from '../contract/failureCause';

/** Exit code of an error: its own (CliError, usage errors), else 3 for "not found", else 1. */
function exitCodeOf(err: unknown): number {
  const e = err as { exitCode?: number; name?: string; cause?: unknown };
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (e?.name === 'WorkflowNotFoundError' || e?.name === 'ScheduleNotFoundError') return 3;
  // A workflow refused its input (unknown server, bad manifest): invalid input, as the table says.
  if (failureCause(err).type === 'BadInput') return 2;
  return 1;
}

/** `tmig`: the operator CLI. Every command maps to plain Temporal operations on JSON inputs. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('tmig')
    .description('Durable tenant database migrations on Temporal')
    .option('--address <host:port>', 'Temporal frontend address', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
    .option('--namespace <ns>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
    .option('--verbose', 'on errors, print the whole cause chain (outermost first)')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code?.startsWith('commander.')) {
      // Help and version exit 0; every other commander error (unknown command or option, missing
      // argument) is a usage error: 2, as the exit code table says.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    // One line with the innermost cause and its type; --verbose adds the chain.
    console.error(`tmig: ${oneLineCause(err)}`);
    if (program.opts<{ verbose?: boolean }>().verbose || argv.includes('--verbose')) console.error(causeChainText(err));
    process.exitCode = exitCodeOf(err);
  }
}
