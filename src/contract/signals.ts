import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TenantProgress, WaveProgress } from './migration';
import type { CutoverRequest, WaveCutoverRequest } from './online';

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
/**
 * Waves: `cutover` cuts the wave's online tenants over, `batch` at a time
 * (`temporal workflow signal --workflow-id wave-<id> --name cutover --input '{"batch": 2}'`);
 * `cutover-confirm` on a wave confirms every tenant of it that is in its rollback window.
 */
export const waveCutoverSignal = defineSignal<[WaveCutoverRequest?]>('cutover');
/** Sent by a tenant to its wave on each phase change, so the wave's `progress` shows running tenants. */
export const tenantProgressSignal = defineSignal<[TenantProgress]>('tenantProgress');
