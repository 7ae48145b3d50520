import { join } from 'node:path';

/**
 * Report layout under the reports directory (and the same keys under the S3 prefix):
 *   tenants/<tenantId>/report.json|html   waves/<waveId>/wave.json|html      (the latest run)
 *   tenants/<tenantId>/runs/<runKey>/...  waves/<waveId>/runs/<runKey>/...  (every run, kept)
 * A run key is `<waveId>.<wave start time>`, so runs list in time order per wave.
 */
export function safeSegment(id: string): string {
  if (/^[A-Za-z0-9_.-]+$/.test(id) && id !== '.' && id !== '..') return id;
  return encodeURIComponent(id).replace(/\*/g, '%2A').replace(/%/g, '~').replace(/^\.+$/, (d) => '~2E'.repeat(d.length));
}

export function tenantReportFiles(dir: string, tenantId: string): { dir: string; json: string; html: string } {
  const d = join(dir, 'tenants', safeSegment(tenantId));
  return { dir: d, json: join(d, 'report.json'), html: join(d, 'report.html') };
}

export function waveReportFiles(dir: string, waveId: string): { dir: string; json: string; html: string } {
  const d = join(dir, 'waves', safeSegment(waveId));
  return { dir: d, json: join(d, 'wave.json'), html: join(d, 'wave.html') };
}

export function tenantRunReportFiles(dir: string, tenantId: string, runKey: string): { dir: string; json: string; html: string } {
  const d = join(dir, 'tenants', safeSegment(tenantId), 'runs', safeSegment(runKey));
  return { dir: d, json: join(d, 'report.json'), html: join(d, 'report.html') };
}

export function waveRunReportFiles(dir: string, waveId: string, runKey: string): { dir: string; json: string; html: string } {
  const d = join(dir, 'waves', safeSegment(waveId), 'runs', safeSegment(runKey));
  return { dir: d, json: join(d, 'wave.json'), html: join(d, 'wave.html') };
}

/** Links between the pages, relative so a copied or downloaded reports directory keeps working. */
export const relativeLinks = {
  waveFromTenant: (waveId: string) => `../../waves/${safeSegment(waveId)}/wave.html`,
  tenantFromWave: (tenantId: string, file: 'report.json' | 'report.html') => `../../tenants/${safeSegment(tenantId)}/${file}`,
  /** From a page `depth` directories below the reports directory to the run's pages. */
  waveRunFrom: (depth: number, waveId: string, runKey: string) => `${'../'.repeat(depth)}waves/${safeSegment(waveId)}/runs/${safeSegment(runKey)}/wave.html`,
  tenantRunFrom: (depth: number, tenantId: string, runKey: string, file: 'report.json' | 'report.html') =>
    `${'../'.repeat(depth)}tenants/${safeSegment(tenantId)}/runs/${safeSegment(runKey)}/${file}`,
};
