import type { MigrationOptions, MigrationWaveInput, TenantSpec } from '../contract/migration';
import type { SplitPlan } from '../contract/splitPlan';

/**
 * Turns a split plan and the list of tenant key values into wave manifests of `phaseSize`
 * tenants each: every tenant's source is a slice of the shared database naming the wave's plan.
 * Pure: the CLI writes or starts what this returns.
 */

export interface SplitWaveRequest {
  wavePrefix: string;
  source: { server: string; database: string };
  targetServer: string;
  /** Target database name; `{tenant}` is replaced by the tenant key value. */
  targetDatabase: string;
  plan: SplitPlan;
  tenants: string[];
  phaseSize: number;
  options?: MigrationOptions;
}

const PLAN_NAME = 'split';

/** A tenant key value as a tenant id (letters, digits, _ . -). */
export function tenantIdFor(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function splitWaveManifests(req: SplitWaveRequest): MigrationWaveInput[] {
  if (!req.tenants.length) throw new Error('split wave: the tenant query returned no tenants');
  const ids = new Map<string, string>();
  for (const v of req.tenants) {
    const id = tenantIdFor(v);
    if (ids.has(id)) throw new Error(`split wave: tenant values "${ids.get(id)}" and "${v}" both map to tenant id ${id}`);
    ids.set(id, v);
  }
  const size = Math.max(1, Math.floor(req.phaseSize));
  const waves: MigrationWaveInput[] = [];
  for (let i = 0; i < req.tenants.length; i += size) {
    const tenants: TenantSpec[] = req.tenants.slice(i, i + size).map((value) => ({
      tenantId: tenantIdFor(value),
      source: { ...req.source, split: { tenantKey: { value }, plan: PLAN_NAME } },
      target: { server: req.targetServer, database: req.targetDatabase.replace(/\{tenant\}/g, tenantIdFor(value)) },
    }));
    const phase = String(waves.length + 1).padStart(2, '0');
    // Every phase lists all the split's tenants, so its accounting tells other phases' rows from orphans.
    waves.push({ waveId: `${req.wavePrefix}-phase-${phase}`, tenants, splitPlans: { [PLAN_NAME]: req.plan }, splitTenants: { [PLAN_NAME]: req.tenants }, ...(req.options ? { options: req.options } : {}) });
  }
  return waves;
}
