/**
 * Readable waiting: `waiting pg-main 3/3 (holders: hotel01 (wave w1), ...)` for tenants in
 * `waiting-permit`, from the governor's `state` query (one query per pool per refresh).
 */
import type { Client } from '@temporalio/client';
import { governorWorkflowId, stateQuery, type GovernorState, type PermitEntry } from '../contract/governorProtocol';
import { waveOfTenantWorkflow } from '../contract/runIdentity';

const MAX_HOLDERS_SHOWN = 5;

export function holderLabel(h: PermitEntry): string {
  const wave = waveOfTenantWorkflow(h.workflowId);
  return wave ? `${h.tenantId} (wave ${wave})` : h.tenantId;
}

export function describeWait(pool: string, s: GovernorState | undefined): string {
  if (!s) return `waiting ${pool}`;
  const shown = s.holders.slice(0, MAX_HOLDERS_SHOWN).map(holderLabel);
  const more = s.holders.length > shown.length ? `, +${s.holders.length - shown.length} more` : '';
  return `waiting ${pool} ${s.holders.length}/${s.limit}${s.limit === 0 ? ' (limit 0: grants stopped)' : ''}`
    + ` (holders: ${shown.join(', ') || 'none'}${more}; ${s.queue.length} in queue)`;
}

/** Reads each pool's governor state once; pools whose governor cannot be queried map to undefined. */
export async function governorStates(client: Client, pools: Iterable<string>): Promise<Map<string, GovernorState | undefined>> {
  const states = new Map<string, GovernorState | undefined>();
  await Promise.all([...new Set(pools)].map(async (pool) => {
    states.set(pool, await client.workflow.getHandle(governorWorkflowId(pool)).query(stateQuery).catch(() => undefined));
  }));
  return states;
}
