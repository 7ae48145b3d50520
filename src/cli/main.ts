import { Command } from 'commander';
import { registerCommands } from './commands';

/** `tmig`: the operator CLI. Every command maps to plain Temporal operations on JSON inputs. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('tmig')
    .description('Durable tenant database migrations on Temporal')
    .option('--address <host:port>', 'Temporal frontend address', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
    .option('--namespace <ns>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code?.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 2;
      return;
    }
    console.error(`tmig: ${e.message ?? String(err)}`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  }
}
