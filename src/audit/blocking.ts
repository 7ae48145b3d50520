import type { AuditResult } from '../contract/auditResult';

/**
 * One line per blocking finding, for the tenant's failure message. Pure and dependency-free so a
 * workflow may import it to decide on `audit.blocked` without importing I/O code.
 */
export function describeBlocking(result: AuditResult): string {
  return result.findings.filter((f) => f.policy === 'block')
    .map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''}: ${f.count} rows (${f.message})`).join('; ');
}
