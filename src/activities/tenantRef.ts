import type { DatabaseRef, MigrationOptions } from '../workflows/types';

/** What every tenant activity receives: names only, never connection secrets. */
export interface TenantRef {
  tenantId: string;
  source: DatabaseRef;
  target: DatabaseRef;
  options?: MigrationOptions;
}

export function tenantLabel(t: TenantRef): string {
  return `tenant ${t.tenantId}`;
}
