/** Phase names of a tenant migration: the `MigrationPhase` search attribute and `progress.phase` carry them. */
export const MIGRATION_PHASES = [
  'pending', 'waiting-permit', 'fetch', 'extract', 'restore', 'prepare', 'audit', 'schema',
  'copy', 'post-data', 'validate', 'report', 'cleanup', 'done', 'failed', 'paused', 'cancelled',
  // Online tenants (options.online): streaming, cutover, and the rollback window after it.
  'cdc', 'cutover', 'rollback-window', 'rollback',
] as const;

export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/** Phases a run ends in (not timed: nothing runs in them). */
export const TERMINAL_PHASES: readonly MigrationPhase[] = ['done', 'failed', 'cancelled'];
