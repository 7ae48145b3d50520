import type { BenchResult, FleetSummary } from './types';

const MB = 1024 * 1024;

/** Fills in MB/s and the ratios to the raw pipe and to pgcopydb of the same data set. */
export function withRatios(results: BenchResult[]): BenchResult[] {
  const withRate = results.map((r) => ({
    ...r,
    mbPerSec: r.seconds && r.seconds > 0 ? r.bytes / MB / r.seconds : null,
  }));
  return withRate.map((r) => {
    const raw = withRate.find((b) => b.tool === 'raw-pipe' && b.dataset === r.dataset && b.verified);
    const ratio = raw?.mbPerSec && r.mbPerSec !== null && r.verified ? r.mbPerSec / raw.mbPerSec : null;
    const pgcopydb = withRate.find((b) => b.tool === 'pgcopydb' && b.dataset === r.dataset && b.verified);
    const ratioPg = pgcopydb?.mbPerSec && r.mbPerSec !== null && r.verified ? r.mbPerSec / pgcopydb.mbPerSec : null;
    return { ...r, ratioToRawPipe: ratio, ratioToPgcopydb: ratioPg };
  });
}

function fixed(n: number | null | undefined, digits: number): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

/** Renders rows as an aligned plain-text table (first row = header). */
export function renderTable(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

/** The one results table: tool, data set, seconds, MB, MB/s, ratios to raw pipe and pgcopydb, machine CPU, peak RSS, verified. */
export function formatResults(results: BenchResult[]): string {
  // CPU s: busy CPU seconds of the whole machine during the run (the tool and all it drives).
  const header = ['tool', 'data set', 'seconds', 'MB', 'MB/s', 'x raw pipe', 'x pgcopydb', 'CPU s', 'peak RSS MB', 'tree RSS MB', 'verified'];
  const rows = results.map((r) => [
    r.tool,
    r.dataset,
    fixed(r.seconds, 2),
    fixed(r.bytes / MB, 1),
    fixed(r.mbPerSec, 1),
    fixed(r.ratioToRawPipe, 2),
    fixed(r.ratioToPgcopydb, 2),
    fixed(r.machineCpuSeconds, 1),
    fixed(r.peakRssMb, 0),
    fixed(r.treeRssMb, 0),
    r.verified ? 'yes' : 'no',
  ]);
  const notes = results.filter((r) => r.note).map((r) => `  ${r.tool} / ${r.dataset}: ${r.note}`);
  const table = renderTable([header, ...rows], [false, false, true, true, true, true, true, true, true, true, false]);
  return notes.length ? `${table}\n\nnotes:\n${notes.join('\n')}` : table;
}

export function formatFleet(fleet: FleetSummary): string {
  const phases = Object.entries(fleet.medianPhaseMs).map(([p, ms]) => `${p} ${ms.toFixed(0)}`).join(', ');
  return [
    `fleet: ${fleet.succeeded}/${fleet.tenants} tenants migrated in ${fleet.seconds.toFixed(1)} s`,
    `  per-tenant orchestration overhead (wall - copy): median ${fixed(fleet.medianOverheadMs, 0)} ms, p90 ${fixed(fleet.p90OverheadMs, 0)} ms`,
    `  per-tenant wall time: median ${fixed(fleet.medianWallMs, 0)} ms`,
    phases ? `  median ms per phase: ${phases}` : '',
  ].filter(Boolean).join('\n');
}

/** Value at quantile q (0..1) of the numbers, nearest-rank; null when empty. */
export function quantile(values: number[], q: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
