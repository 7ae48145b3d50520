import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TenantProgress, WaveProgress } from './migration';

/** Operator interface names: also usable with `temporal workflow signal/query --name ...`. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const tenantProgressQuery = defineQuery<TenantProgress>('progress');
export const waveProgressQuery = defineQuery<WaveProgress>('progress');
export const validationStateQuery = defineQuery<{ phase: string }>('progress');
/** Sent by a tenant to its wave on each phase change, so the wave's `progress` shows running tenants. */
export const tenantProgressSignal = defineSignal<[TenantProgress]>('tenantProgress');
