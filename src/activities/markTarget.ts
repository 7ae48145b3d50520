import { classified, config } from './activityContext';
import { openTarget } from '../config/openEngines';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import { closeIdleSessions } from '../engines/postgres/sessionPool';
import { forgetModels } from './storedModel';

/** Marks the target complete: only after validation passed. */
export async function markTargetComplete(t: TenantRef): Promise<void> {
  await classified(`${tenantLabel(t)}: mark complete`, () => openTarget(config(), t.target).markComplete());
  await releaseTenant(t);
}

/** The tenant is finished on this worker: its parked sessions close and its cached model goes. */
async function releaseTenant(t: TenantRef): Promise<void> {
  forgetModels(t);
  await closeIdleSessions(t.target.database);
  await closeIdleSessions(t.source.database);
}

/** Marks the target failed and incomplete, with the reason; nothing half-done looks done. */
export async function markTargetFailed(t: TenantRef, reason: string): Promise<void> {
  return classified(`${tenantLabel(t)}: mark failed`, async () => {
    try {
      await openTarget(config(), t.target).markFailed(reason);
    } catch (err) {
      // A target that was never created (or is unreachable) has nothing to mark.
      const code = (err as { code?: string }).code;
      if (code === '3D000') return;
      throw err;
    } finally {
      await releaseTenant(t);
    }
  });
}

/** Marks a target that failed a later validation (`tmig validate`): run row and database comment. */
export async function markValidationFailed(t: TenantRef, reason: string): Promise<boolean> {
  return classified(`${tenantLabel(t)}: mark validation failed`, () => openTarget(config(), t.target).markValidationFailed(reason));
}
