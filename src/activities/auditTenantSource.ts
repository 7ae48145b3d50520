import { classified, config, heartbeat } from './activityContext';
import { loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import type { AuditResult } from '../contract/auditResult';
import { auditSource } from '../audit/auditSource';

/** Heartbeats on a timer while `body` runs: one audit query on a large table can outlast the heartbeat timeout. */
export async function withHeartbeat<T>(details: unknown, body: () => Promise<T>, everyMs = 10_000): Promise<T> {
  heartbeat(details);
  const timer = setInterval(() => heartbeat(details), everyMs);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Activity: the pre-migration audit of a tenant's source, over the model describeSource stored
 * in the target, with the manifest's checks. Returns the result; the workflow fails the tenant
 * when `blocked` (see describeBlocking) and hands the result to the report.
 */
export async function auditTenantSource(t: TenantRef): Promise<AuditResult> {
  return classified(`${tenantLabel(t)}: audit source ${t.source.server}/${t.source.database}`, async () =>
    withHeartbeat({ phase: 'audit' }, async () => {
      const model = await loadModel(t);
      // Sample keys (possibly personal data) only when the manifest asks for them.
      return auditSource(config(), t.source, model, t.options?.auditChecks ?? [], { reportKeys: t.options?.reportKeys ?? false });
    }));
}
