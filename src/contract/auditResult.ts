import type { AuditCheckSpec } from './migration';

/** Checks the audit runs by itself, from the schema model alone. */
export type AutomaticCheck = 'noKey' | 'lossyType' | 'unsupportedType' | 'identityOverflow' | 'wideRows' | 'orphans' | 'sliceScan';
export type AuditCheckName = AutomaticCheck | AuditCheckSpec['check'];
export type AuditPolicy = 'warn' | 'block';

export interface AuditFinding {
  check: AuditCheckName;
  /** Source-qualified table, `schema.table`. */
  table: string;
  column?: string;
  /** Rows (or, for column-level checks without rows, objects) affected. */
  count: number;
  /** A few keys of affected rows, each as `col=value, ...` (or `ctid=(0,1)` when the table has no key). */
  sampleKeys: string[];
  policy: AuditPolicy;
  message: string;
}

export interface AuditOptions {
  /** Rows wider than this (bytes, as the source stores them) are reported. */
  maxRowBytes?: number;
  /** Share of the type's maximum an identity/serial column may reach before it is reported (0..1). */
  identityThreshold?: number;
  /** Sample keys kept per finding. */
  sampleSize?: number;
  /** Keep sample keys in findings (default true here; the audit activity passes options.reportKeys, default false). */
  reportKeys?: boolean;
  /** Overrides of the default policy of the automatic checks. */
  policies?: Partial<Record<AutomaticCheck, AuditPolicy>>;
}

export interface AuditResult {
  sourceKind: string;
  startedAt: string;
  finishedAt: string;
  ms: number;
  /** Checks evaluated (one per table/column/constraint examined), with or without findings. */
  checksRun: number;
  findings: AuditFinding[];
  /** True when any finding has policy `block`: the tenant must not be migrated as is. */
  blocked: boolean;
}

export const AUDIT_DEFAULTS = {
  maxRowBytes: 1024 * 1024,
  identityThreshold: 0.8,
  sampleSize: 5,
} as const;

/** Default policies: what makes the copy or post-data fail blocks, the rest warns. */
export const DEFAULT_POLICIES: Record<AutomaticCheck, AuditPolicy> = {
  noKey: 'warn',
  lossyType: 'warn',
  unsupportedType: 'block',
  identityOverflow: 'warn',
  wideRows: 'warn',
  orphans: 'block',
  sliceScan: 'warn',
};

/**
 * One line per blocking finding, for the tenant's failure message. Pure and dependency-free so a
 * workflow may import it to decide on `audit.blocked` without importing I/O code.
 */
export function describeBlocking(result: AuditResult): string {
  return result.findings.filter((f) => f.policy === 'block')
    .map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''}: ${f.count} rows (${f.message})`).join('; ');
}
