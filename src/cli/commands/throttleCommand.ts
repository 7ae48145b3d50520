import type { Command } from 'commander';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  GOVERNOR_WORKFLOW_TYPE, governorWorkflowId, retireSignal, setLimitSignal, stateQuery, type GovernorState, type GovernorInput,
} from '../../contract/governorProtocol';
import { TmigRoleKey } from '../../contract/searchAttributes';
import { TASK_QUEUE } from '../../contract/names';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, parsePositiveInt, usageExitCodes, withClient } from '../operator';
import { cliConfig, configuredPools, requireKnownPool } from '../poolNames';
import { isUnregisteredSearchAttribute } from '../../temporal/searchAttributeSupport';

export async function readGovernorState(client: Client, pool: string): Promise<GovernorState> {
  try {
    return await client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no governor running for pool "${pool}" (workflow ${governorWorkflowId(pool)}): nobody holds or waits for it`
        + ` (an idle governor ends); it starts with the first permit or with "tmig throttle set ${pool} <n>"`, ExitCode.NotFound);
    }
    throw new CliError(`query ${governorWorkflowId(pool)}: ${(err as Error).message}`);
  }
}

function printState(s: GovernorState): void {
  out(`pool ${s.pool}: limit ${s.limit}${s.pinned ? ' (set by an operator)' : ''}, ${s.holders.length} holding, ${s.queue.length} waiting (granted ${s.grantedTotal}, reclaimed ${s.reclaimedTotal})`);
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
  $ tmig throttle set pg-target-1 8      # pool names come from the worker config (--config or MIGRATOR_CONFIG)
  $ tmig throttle delete pg-target-1     # drop the override: back to servers.<name>.maxConcurrency
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
    .description('Set the limit of a pool now (starts its governor if needed; it then stays until "throttle delete"). Lowering it never preempts holders: new grants wait until below the limit; 0 stops new grants')
    .argument('<pool>', 'pool name: a server name from the worker config, or restore-<mssql server>')
    .argument('<limit>', 'permits (integer >= 0)')
    .option('--config <file>', 'worker config that names the pools (default: MIGRATOR_CONFIG)')
    .action(async (pool: string, limitText: string, opts: { config?: string }, cmd: Command) => {
      const limit = parsePositiveInt(limitText, 'limit', 0);
      requireKnownPool(pool, cliConfig(opts.config, 'throttle set'));
      await withClient(cmd, async (client) => {
        const send = (withRole: boolean) => client.workflow.signalWithStart(GOVERNOR_WORKFLOW_TYPE, {
          workflowId: governorWorkflowId(pool), taskQueue: TASK_QUEUE,
          args: [{ pool, limit, pinned: true } satisfies GovernorInput], signal: setLimitSignal, signalArgs: [{ limit }],
          ...(withRole ? { typedSearchAttributes: [{ key: TmigRoleKey, value: 'governor' }] } : {}),
        });
        await send(true).catch((err) => {
          if (!isUnregisteredSearchAttribute(err)) throw err;
          return send(false);
        });
        out(`pool ${pool}: limit set to ${limit} (kept until "tmig throttle delete ${pool}")`);
      });
    });

  usageExitCodes(throttle.command('delete'))
    .description('Drop the limit set with "throttle set": the governor ends once nobody holds or waits, and the next one starts with the config\'s limit')
    .argument('<pool>', 'pool name')
    .action(async (pool: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const s = await readGovernorState(client, pool);
        const handle = client.workflow.getHandle(governorWorkflowId(pool));
        const d = await handle.describe();
        if (d.status.name !== 'RUNNING') throw new CliError(`no governor running for pool "${pool}"`, ExitCode.NotFound);
        await handle.signal(retireSignal);
        const busy = s.holders.length + s.queue.length;
        out(`pool ${pool}: override removed; ${busy ? `the governor ends after its ${s.holders.length} holder(s) and ${s.queue.length} waiter(s) are done` : 'the idle governor ends now'}`);
      });
    });

  usageExitCodes(throttle.command('list'))
    .description('List running governors with their limits and load (and, with a config, the idle configured pools)')
    .option('--json', 'print JSON (running governors only)')
    .option('--config <file>', 'worker config (default: MIGRATOR_CONFIG)')
    .action(async (opts: { json?: boolean; config?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const states: GovernorState[] = [];
        for await (const wf of client.workflow.list({ query: 'WorkflowType = "concurrencyGovernor" AND ExecutionStatus = "Running"' })) {
          const s = await client.workflow.getHandle(wf.workflowId).query(stateQuery).catch(() => undefined);
          if (s) states.push(s);
        }
        states.sort((a, b) => a.pool.localeCompare(b.pool));
        if (opts.json) outJson(states);
        else if (states.length === 0) out('no running governors (idle pools have none: they start with the first permit)');
        else for (const s of states) out(`${s.pool.padEnd(24)} limit ${String(s.limit).padStart(3)}${s.pinned ? ' (set)' : '      '}  holding ${String(s.holders.length).padStart(3)}  waiting ${s.queue.length}`);
        if (!opts.json && (opts.config || process.env.MIGRATOR_CONFIG)) {
          const idle = [...configuredPools(cliConfig(opts.config, 'throttle list')).entries()].filter(([p]) => !states.some((s) => s.pool === p));
          for (const [p, limit] of idle.sort()) out(`${p.padEnd(24)} limit ${String(limit).padStart(3)} (config)  idle`);
        }
      });
    });
}
