import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigratorConfig } from '../config/configSchema';
import { splitPlanSchema, type SplitPlan } from '../contract/splitPlan';
import type { SplitTableTally, SplitWaveAccounting, SplitWaveAccountingRequest } from '../contract/splitAccounting';
import { safeSegment } from '../reports/paths';
import { accountSource, checkTargets, verdict, type SplitAccounting } from './accounting';
import { checkPlan, discoverPlan, SplitPlanError } from './discoverPlan';
import { openSharedSource } from './sharedSource';
import { countTargetTables } from './targetCounts';

/**
 * The accounting a split wave runs at its end, so a wave started from the Temporal UI or the
 * `temporal` CLI proves its own completeness: one grouped read per source table (never one per
 * tenant), then each succeeded tenant's target counted against its slice. The full accounting
 * (per tenant, sample keys when the plan asks) goes to a report file; the wave result gets totals.
 */
export async function accountSplitWave(config: MigratorConfig, req: SplitWaveAccountingRequest): Promise<SplitWaveAccounting> {
  const wave = req.tenants.map((t) => t.value);
  const listed = req.allTenants ? [...new Set([...req.allTenants, ...wave])] : wave;
  const src = await openSharedSource(config, req.source);
  let acc: SplitAccounting;
  let plan: SplitPlan;
  try {
    const model = await src.describe();
    if ('plan' in req.planSpec) {
      plan = splitPlanSchema.parse(req.planSpec.plan);
      checkPlan(model, plan);
    } else {
      const found = discoverPlan(model, req.planSpec.column);
      if (found.unplaceable.length) throw new SplitPlanError(`split by ${req.planSpec.column}: cannot place table ${found.unplaceable.join(', ')}`);
      plan = found.plan;
    }
    acc = await accountSource(src.query, src.dialect, model, plan, listed);
  } finally {
    await src.close();
  }
  const ok = req.tenants.filter((t) => t.ok);
  const counts = await countTargetTables(config, ok.map((t) => ({ tenant: t.value, target: t.target })));
  const targetProblems = checkTargets({ ...acc, tenants: ok.map((t) => t.value) }, counts);
  const inWave = new Set(wave);
  const knowsAllPhases = !!req.allTenants;
  // Without the split's full tenant list, rows of tenants outside this wave may be another phase's: reported, not judged.
  const judged = knowsAllPhases ? acc : { ...acc, ...verdict(acc.tables.map((t) => ({ ...t, unknownTenantRows: 0 })), plan) };
  const failures = [
    ...judged.failures,
    ...req.tenants.filter((t) => !t.ok).map((t) => `tenant ${t.tenantId} did not finish: its slice is in no target`),
    ...targetProblems,
  ];
  const warnings = [...judged.warnings];
  const tables: SplitTableTally[] = acc.tables.map((t) => {
    const sumOf = (keep: (v: string) => boolean) => Object.entries(t.tenantRows).filter(([v]) => keep(v)).reduce((s, [, n]) => s + n, 0);
    const targetRows = t.role === 'shared'
      ? (ok.length ? Math.min(...ok.map((x) => counts[x.value]?.[t.table] ?? 0)) : 0)
      : ok.reduce((s, x) => s + (counts[x.value]?.[t.table] ?? 0), 0);
    return {
      table: t.table, role: t.role, sourceRows: t.sourceRows,
      waveTenantRows: t.role === 'shared' ? t.sourceRows : sumOf((v) => inWave.has(v)),
      targetRows, otherPhaseRows: sumOf((v) => !inWave.has(v)),
      noTenantRows: t.noTenantRows, unknownTenantRows: t.unknownTenantRows, twoTenantRows: t.twoTenantRows, balanced: t.balanced,
    };
  });
  if (!knowsAllPhases && tables.some((t) => t.unknownTenantRows)) {
    warnings.push(`rows of tenants outside this wave are not judged: the manifest has no splitTenants["${req.plan}"] listing every phase's tenants`);
  }
  const dir = join(config.reports.dir, 'waves', safeSegment(req.waveId), ...(req.runKey ? ['runs', safeSegment(req.runKey)] : []));
  const reportPath = join(dir, `split-accounting-${safeSegment(req.plan)}.json`);
  await mkdir(dir, { recursive: true });
  await writeFile(reportPath, JSON.stringify({ source: req.source, plan: req.plan, waveTenants: wave, knowsAllPhases, ...acc, failures, warnings, targetProblems }, null, 2) + '\n');
  return { source: req.source, plan: req.plan, tenants: wave.length, knowsAllPhases, tables, failures, warnings, complete: failures.length === 0, reportPath };
}
