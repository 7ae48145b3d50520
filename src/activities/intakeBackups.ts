import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/loadConfig';
import { runActivity } from './runActivity';
import { startTenantMigration } from '../intake/startMigration';
import type { ListBackupsInput, ListBackupsResult, StartMigrationsInput, StartOutcome } from '../contract/backupIntake';

export interface IntakeActivityDeps {
  /** Defaults to a client from the worker config's `s3` section. */
  s3?: () => S3Client;
  /** Defaults to the worker's own Temporal client (activity context). */
  client?: () => Client;
  taskQueue?: string;
}

/** Activities of the intakeScan workflow. Register the result of `createIntakeActivities()` on the worker. */
export function createIntakeActivities(deps: IntakeActivityDeps = {}) {
  // The AWS SDK is loaded on first use, not at worker start-up: most workers never list a bucket.
  const s3 = deps.s3 ? async () => deps.s3!() : async () => (await import('../storage/s3Client')).s3ClientFromConfig(loadConfig().s3);
  const client = deps.client ?? (() => Context.current().client);
  return {
    async listBackupObjects(input: ListBackupsInput): Promise<ListBackupsResult> {
      return runActivity(async () => {
        const { listBackupPage } = await import('../intake/listBackups');
        return listBackupPage(await s3(), input);
      });
    },
    /** Starts one migration per object; objects already started are reported, not restarted. */
    async startTenantMigrations(input: StartMigrationsInput): Promise<StartOutcome[]> {
      return runActivity(async () => {
        const c = client();
        const out: StartOutcome[] = [];
        for (const obj of input.objects) {
          out.push(await startTenantMigration(c, obj, input.plan, deps.taskQueue));
          Context.current().heartbeat(out.length);
        }
        return out;
      });
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;

/** Ready to register: `export { listBackupObjects, startTenantMigrations } from './intakeBackups'`. */
export const { listBackupObjects, startTenantMigrations } = createIntakeActivities();
