import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TenantProgress, WaveProgress } from './migration';
import type { CutoverRequest } from './online';

/** Operator interface names: also usable with `temporal workflow signal/query --name ...`. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const tenantProgressQuery = defineQuery<TenantProgress>('progress');
export const waveProgressQuery = defineQuery<WaveProgress>('progress');
export const validationStateQuery = defineQuery<{ phase: string }>('progress');

/** Online tenants: `temporal workflow signal --workflow-id tenant-<id> --name cutover|rollback|cutover-confirm`. */
export const cutoverSignal = defineSignal<[CutoverRequest?]>('cutover');
export const rollbackSignal = defineSignal('rollback');
export const cutoverConfirmSignal = defineSignal('cutover-confirm');
/** Sent by a tenant to its wave on each phase change, so the wave's `progress` shows running tenants. */
export const tenantProgressSignal = defineSignal<[TenantProgress]>('tenantProgress');
