import type { TenantMigrationResult } from '../src/contract/migration';
import { quantile } from './resultTable';
import type { FleetSummary, FleetTenantTiming } from './types';

/**
 * Splits one tenant's wall time into copying and everything else (orchestration overhead, as the
 * issue defines it: time not spent copying). Copy time is the copy phase, or the sum of the
 * tables' copy times when that is smaller (tables copied one after another with gaps).
 */
export function tenantTiming(result: TenantMigrationResult): FleetTenantTiming {
  const phaseMs: Record<string, number> = {};
  let first = Infinity;
  let last = -Infinity;
  for (const p of result.phases) {
    const start = Date.parse(p.startedAt);
    const end = p.endedAt ? Date.parse(p.endedAt) : undefined;
    const ms = p.ms ?? (end !== undefined ? end - start : 0);
    phaseMs[p.phase] = (phaseMs[p.phase] ?? 0) + ms;
    if (Number.isFinite(start)) first = Math.min(first, start);
    if (end !== undefined && Number.isFinite(end)) last = Math.max(last, end);
    else if (Number.isFinite(start)) last = Math.max(last, start + ms);
  }
  const summed = Object.values(phaseMs).reduce((a, b) => a + b, 0);
  const wallMs = Number.isFinite(first) && Number.isFinite(last) ? Math.max(0, last - first) : summed;
  const tablesCopyMs = result.tables.reduce((a, t) => a + (t.copyMs ?? 0), 0);
  const copyPhaseMs = phaseMs.copy;
  const copyMs = copyPhaseMs === undefined ? tablesCopyMs : Math.min(copyPhaseMs, tablesCopyMs || copyPhaseMs);
  return { tenantId: result.tenantId, wallMs, copyMs, overheadMs: Math.max(0, wallMs - copyMs), phaseMs };
}

export function summarizeFleet(timings: FleetTenantTiming[], tenants: number, succeeded: number, seconds: number): FleetSummary {
  const phases = [...new Set(timings.flatMap((t) => Object.keys(t.phaseMs)))];
  const medianPhaseMs: Record<string, number> = {};
  for (const p of phases) medianPhaseMs[p] = quantile(timings.map((t) => t.phaseMs[p] ?? 0), 0.5) ?? 0;
  return {
    tenants,
    succeeded,
    seconds,
    medianOverheadMs: quantile(timings.map((t) => t.overheadMs), 0.5),
    p90OverheadMs: quantile(timings.map((t) => t.overheadMs), 0.9),
    medianWallMs: quantile(timings.map((t) => t.wallMs), 0.5),
    medianPhaseMs,
  };
}
