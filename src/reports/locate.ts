import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { tenantReportFiles, waveReportFiles } from './paths';

export interface LocatedReport {
  kind: 'tenant' | 'wave';
  id: string;
  json: string;
  html: string;
}

/**
 * Finds the reports for an id an operator types: a tenant id, a wave id, or the workflow ids
 * `tenant-<id>` / `wave-<id>`. Both a tenant and a wave can carry the same id: both are returned.
 */
export function locateReports(dir: string, ref: string): LocatedReport[] {
  const found: LocatedReport[] = [];
  const candidates: { kind: 'tenant' | 'wave'; id: string }[] = [{ kind: 'tenant', id: ref }, { kind: 'wave', id: ref }];
  const m = /^(tenant|wave)-(.+)$/.exec(ref);
  if (m) candidates.unshift({ kind: m[1] as 'tenant' | 'wave', id: m[2] });
  for (const c of candidates) {
    const files = c.kind === 'tenant' ? tenantReportFiles(dir, c.id) : waveReportFiles(dir, c.id);
    if (!existsSync(files.json) || found.some((f) => f.json === resolve(files.json))) continue;
    found.push({ kind: c.kind, id: c.id, json: resolve(files.json), html: resolve(files.html) });
  }
  return found;
}
