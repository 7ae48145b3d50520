import type { MigrationOptions } from '../contract/migration';

/** Defaults for every option, in one place (deterministic: used by workflows). */
export function resolveOptions(o: MigrationOptions = {}) {
  return {
    maxConcurrentTenants: o.maxConcurrentTenants ?? 4,
    chunkRows: o.chunkRows ?? 50_000,
    tableConcurrency: o.tableConcurrency ?? 4,
    splitRowsThreshold: o.splitRowsThreshold ?? 250_000,
    rangesPerTable: o.rangesPerTable ?? 4,
    postDataParallelism: o.tableConcurrency ?? 4,
    validation: (o.validation ?? 'full') as 'full' | 'sample' | 'none',
    sampleRate: o.sampleRate ?? 0.1,
    recheckSource: o.recheckSource ?? false,
    recheck: o.recheck ?? false,
    // Off by default: measured, the read-back doubled the copy phase on data that fits in memory.
    copyReadBack: o.copyReadBack ?? false,
    audit: o.audit ?? false,
    throttle: o.throttle ?? true,
  };
}

/** Wave options are defaults for each tenant; a tenant's own options win. */
export function mergeOptions(wave: MigrationOptions | undefined, tenant: MigrationOptions | undefined): MigrationOptions {
  return { ...(wave ?? {}), ...(tenant ?? {}) };
}
