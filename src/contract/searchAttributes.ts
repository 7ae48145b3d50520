import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes; the dev server scripts register them, see README for other servers. */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const WaveIdKey = defineSearchAttributeKey('WaveId', SearchAttributeType.KEYWORD);
export const MigrationPhaseKey = defineSearchAttributeKey('MigrationPhase', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [TenantIdKey, WaveIdKey, MigrationPhaseKey];
