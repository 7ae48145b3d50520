import type { BackupRef, DatabaseRef, MigrationOptions } from './migration';

/** What every tenant activity receives: names only, never connection secrets. */
export interface TenantRef {
  tenantId: string;
  source: DatabaseRef;
  target: DatabaseRef;
  options?: MigrationOptions;
  /** The backup the source is restored from, when there is one (part of the source's identity). */
  backup?: BackupRef;
}

export function tenantLabel(t: TenantRef): string {
  return `tenant ${t.tenantId}`;
}
