import type { Command } from 'commander';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  GOVERNOR_WORKFLOW_TYPE, governorWorkflowId, setLimitSignal, stateQuery, type GovernorState,
} from '../../contract/governorProtocol';
import { TASK_QUEUE } from '../../contract/names';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, parsePositiveInt, usageExitCodes, withClient } from '../operator';

export async function readGovernorState(client: Client, pool: string): Promise<GovernorState> {
  try {
    return await client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no governor for pool "${pool}" (workflow ${governorWorkflowId(pool)}); it starts with the first permit or with "tmig throttle set ${pool} <n>"`, ExitCode.NotFound);
    }
    throw new CliError(`query ${governorWorkflowId(pool)}: ${(err as Error).message}`);
  }
}

function printState(s: GovernorState): void {
  out(`pool ${s.pool}: limit ${s.limit}, ${s.holders.length} holding, ${s.queue.length} waiting (granted ${s.grantedTotal}, reclaimed ${s.reclaimedTotal})`);
  for (const h of s.holders) out(`  holds   ${h.tenantId.padEnd(24)} since ${h.since}  (${h.workflowId})`);
  for (const q of s.queue) out(`  waits   ${q.tenantId.padEnd(24)} since ${q.since}  (${q.workflowId})`);
}

export function registerThrottle(program: Command): void {
  const throttle = usageExitCodes(program.command('throttle'))
    .description('Read or change the concurrency limit of a pool (a source server, target server or restore host)')
    .addHelpText('after', `
Examples:
  $ tmig throttle list
  $ tmig throttle get pg-target-1
  $ tmig throttle set pg-target-1 8
  $ temporal workflow query --workflow-id governor-pg-target-1 --name state           # stock CLI
  $ temporal workflow signal --workflow-id governor-pg-target-1 --name setLimit --input '{"limit":8}'
${EXIT_CODES_HELP}`);

  usageExitCodes(throttle.command('get'))
    .description('Show limit, holders (tenant, since when) and queue of a pool')
    .argument('<pool>', 'pool name (a server name from the worker config)')
    .option('--json', 'print the governor state query as JSON')
    .action(async (pool: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const s = await readGovernorState(client, pool);
        if (opts.json) outJson(s);
        else printState(s);
      });
    });

  usageExitCodes(throttle.command('set'))
    .description('Set the limit of a pool now (starts its governor if needed). Lowering it never preempts holders: new grants wait until below the limit; 0 stops new grants')
    .argument('<pool>', 'pool name (a server name from the worker config)')
    .argument('<limit>', 'permits (integer >= 0)')
    .action(async (pool: string, limitText: string, _opts: unknown, cmd: Command) => {
      const limit = parsePositiveInt(limitText, 'limit', 0);
      if (!/^[A-Za-z0-9_.-]+$/.test(pool)) throw new CliError(`pool "${pool}": pool names use letters, digits, _ . -`, ExitCode.Usage);
      await withClient(cmd, async (client) => {
        await client.workflow.signalWithStart(GOVERNOR_WORKFLOW_TYPE, {
          workflowId: governorWorkflowId(pool), taskQueue: TASK_QUEUE,
          args: [{ pool, limit }], signal: setLimitSignal, signalArgs: [{ limit }],
        });
        out(`pool ${pool}: limit set to ${limit}`);
      });
    });

  usageExitCodes(throttle.command('list'))
    .description('List running governors with their limits and load')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const states: GovernorState[] = [];
        for await (const wf of client.workflow.list({ query: 'WorkflowType = "concurrencyGovernor" AND ExecutionStatus = "Running"' })) {
          const s = await client.workflow.getHandle(wf.workflowId).query(stateQuery).catch(() => undefined);
          if (s) states.push(s);
        }
        states.sort((a, b) => a.pool.localeCompare(b.pool));
        if (opts.json) outJson(states);
        else if (states.length === 0) out('no running governors');
        else for (const s of states) out(`${s.pool.padEnd(24)} limit ${String(s.limit).padStart(3)}  holding ${String(s.holders.length).padStart(3)}  waiting ${s.queue.length}`);
      });
    });
}
