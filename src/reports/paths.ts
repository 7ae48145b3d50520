import { join } from 'node:path';

/**
 * Report layout under the reports directory (and the same keys under the S3 prefix):
 *   tenants/<tenantId>/report.json|html   waves/<waveId>/wave.json|html
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

/** Links between the pages, relative so a copied or downloaded reports directory keeps working. */
export const relativeLinks = {
  waveFromTenant: (waveId: string) => `../../waves/${safeSegment(waveId)}/wave.html`,
  tenantFromWave: (tenantId: string, file: 'report.json' | 'report.html') => `../../tenants/${safeSegment(tenantId)}/${file}`,
};
