import { continueAsNew, log, proxyActivities } from '@temporalio/workflow';
import type { IntakeActivities } from '../activities/intakeBackups';
import type { IntakeScanInput, IntakeScanTotals } from '../contract/backupIntake';
import { FailureType } from '../contract/failures';

export type { IntakeScanInput, IntakeScanTotals } from '../contract/backupIntake';

const { listBackupObjects, startTenantMigrations } = proxyActivities<IntakeActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10,
    nonRetryableErrorTypes: [FailureType.BadInput] },
});

/** Pages handled per run before continuing as new (keeps history small for buckets with many thousand keys). */
const PAGES_PER_RUN = 40;
const KEEP_IDS = 1000;

/**
 * Scans a bucket prefix for uploaded backups and starts one tenantMigration per upload (run it from a Temporal
 * Schedule). Starting is idempotent per upload (workflow id from tenant + key + ETag), so a scan that runs
 * again, or fails halfway and is retried, never starts the same upload twice.
 */
export async function intakeScan(input: IntakeScanInput): Promise<IntakeScanTotals> {
  const totals: IntakeScanTotals = input.carry
    ? { ...input.carry, startedIds: [...input.carry.startedIds] }
    : { listed: 0, matched: 0, started: 0, alreadyStarted: 0, ignored: 0, startedIds: [] };
  const plan = {
    source: input.source, target: input.target, restoreDatabaseTemplate: input.restoreDatabaseTemplate,
    options: input.options, waveId: input.waveId,
  };
  let startAfter = input.startAfter;
  for (let page = 0; page < PAGES_PER_RUN; page += 1) {
    const listing = await listBackupObjects({
      bucket: input.bucket, prefix: input.prefix, tenantPattern: input.tenantPattern, startAfter, maxKeys: input.pageSize ?? 500,
    });
    totals.listed += listing.listed;
    totals.matched += listing.objects.length;
    totals.ignored += listing.ignoredCount;
    if (listing.ignoredCount) {
      log.info('intake scan passed over keys', { bucket: input.bucket, count: listing.ignoredCount, sample: listing.ignored.slice(0, 10) });
    }
    if (listing.objects.length) {
      for (const outcome of await startTenantMigrations({ objects: listing.objects, plan })) {
        if (outcome.status === 'started') {
          totals.started += 1;
          if (totals.startedIds.length < KEEP_IDS) totals.startedIds.push(outcome.workflowId);
        } else {
          totals.alreadyStarted += 1;
        }
      }
    }
    if (!listing.nextStartAfter) return totals;
    startAfter = listing.nextStartAfter;
  }
  return continueAsNew<typeof intakeScan>({ ...input, startAfter, carry: totals });
}
