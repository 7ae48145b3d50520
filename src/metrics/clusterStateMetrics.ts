/**
 * Gauges of cluster-wide migration state, read from Temporal at scrape time: running tenants per
 * MigrationPhase (visibility) and permits held / waiting / limit per governor pool (`state` query).
 * Reads are cached for a few seconds so frequent scrapes do not load the Temporal server.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Client } from '@temporalio/client';
import { GOVERNOR_WORKFLOW_TYPE, stateQuery, type GovernorState } from '../contract/governorProtocol';

export interface ClusterState {
  tenantsByPhase: Map<string, number>;
  pools: GovernorState[];
}

/** Reads the state: one visibility listing of running tenants, one listing plus one query per governor. */
export async function readClusterState(client: Client): Promise<ClusterState> {
  const tenantsByPhase = new Map<string, number>();
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "tenantMigration" AND ExecutionStatus = "Running"' })) {
    const raw = wf.searchAttributes?.MigrationPhase;
    const phase = String((Array.isArray(raw) ? raw[0] : raw) ?? 'pending');
    tenantsByPhase.set(phase, (tenantsByPhase.get(phase) ?? 0) + 1);
  }
  const pools: GovernorState[] = [];
  const governors: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = "${GOVERNOR_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"` })) {
    governors.push(wf.workflowId);
  }
  await Promise.all(governors.map(async (id) => {
    try {
      pools.push(await client.workflow.getHandle(id).query(stateQuery));
    } catch {
      // A governor between runs (continue-as-new) answers on the next scrape.
    }
  }));
  return { tenantsByPhase, pools };
}

/**
 * Registers tmig_tenants{phase}, tmig_permits_held{pool}, tmig_permits_waiting{pool} and
 * tmig_permit_limit{pool} on `registry`, filled from `read()` at most every `cacheMs`.
 */
export function registerClusterStateMetrics(registry: Registry, read: () => Promise<ClusterState>, cacheMs = 5000): void {
  let cached: { at: number; state: Promise<ClusterState | undefined> } | undefined;
  const current = (): Promise<ClusterState | undefined> => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      cached = { at: Date.now(), state: read().catch(() => undefined) };
    }
    return cached.state;
  };
  const seenPhases = new Set<string>();
  const seenPools = new Set<string>();
  new Gauge({
    name: 'tmig_tenants', help: 'Running tenant migrations per MigrationPhase (from Temporal visibility).',
    labelNames: ['phase'], registers: [registry],
    async collect() {
      const s = await current();
      if (!s) return; // Temporal unreachable: keep the last values rather than report zeros
      for (const phase of new Set([...seenPhases, ...s.tenantsByPhase.keys()])) {
        seenPhases.add(phase);
        this.set({ phase }, s.tenantsByPhase.get(phase) ?? 0);
      }
    },
  });
  const poolGauge = (name: string, help: string, value: (p: GovernorState) => number) => new Gauge({
    name, help, labelNames: ['pool'], registers: [registry],
    async collect() {
      const s = await current();
      if (!s) return;
      const byPool = new Map(s.pools.map((p) => [p.pool, p]));
      for (const pool of new Set([...seenPools, ...byPool.keys()])) {
        seenPools.add(pool);
        const p = byPool.get(pool);
        this.set({ pool }, p ? value(p) : 0);
      }
    },
  });
  poolGauge('tmig_permits_held', 'Permits held per governor pool (tenants running heavy work on it).', (p) => p.holders.length);
  poolGauge('tmig_permits_waiting', 'Tenants waiting for a permit per governor pool.', (p) => p.queue.length);
  poolGauge('tmig_permit_limit', 'Current permit limit per governor pool.', (p) => p.limit);
}
