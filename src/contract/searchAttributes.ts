import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes; the dev server scripts register them, see README for other servers. */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const WaveIdKey = defineSearchAttributeKey('WaveId', SearchAttributeType.KEYWORD);
export const MigrationPhaseKey = defineSearchAttributeKey('MigrationPhase', SearchAttributeType.KEYWORD);

/**
 * What a workflow is to an operator: `wave`, `tenant`, `governor` (a lock or pool), `validate`,
 * `intake`. The saved view `TmigRole IN ("wave", "tenant")` shows migrations and hides locks.
 */
export const TmigRoleKey = defineSearchAttributeKey('TmigRole', SearchAttributeType.KEYWORD);
export type TmigRole = 'wave' | 'tenant' | 'governor' | 'validate' | 'intake';

export const ALL_SEARCH_ATTRIBUTES = [TenantIdKey, WaveIdKey, MigrationPhaseKey, TmigRoleKey];
