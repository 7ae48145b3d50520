import { classified, config } from './activityContext';
import { sourceLabel } from '../engines/registry';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import type { PrepareOutcome } from '../engines/postgres/target';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import { PostgresTarget } from '../engines/postgres/target';
import { FailureType, PermanentError } from '../contract/failures';
import { rememberModel } from './storedModel';
import { describeAhead, takeDescribedAhead } from './describeAhead';

/** Creates (or reopens) the tenant's target database and its bookkeeping. */
export async function prepareTarget(t: TenantRef): Promise<PrepareOutcome> {
  return classified(`${tenantLabel(t)}: prepare target ${t.target.server}/${t.target.database}`, async () => {
    const cfg = config();
    const target = openTarget(cfg, t.target);
    const engine = await openTenantSource(cfg, t.source, t.options);
    let locale;
    let handedOver = false;
    try {
      // Also proves the source exists before a target database is created for it.
      locale = engine.databaseLocale ? await engine.databaseLocale() : undefined;
      // The source's description (and its schema dump) runs while the target is prepared; describe
      // takes it. A backup's source is restored after this step: it is described then.
      // (A retried prepare finds its first attempt's description started: it closes its own engine.)
      handedOver = !t.backup && describeAhead(t, async () => {
        try {
          engine.prefetchSchema?.();
          return await engine.describe();
        } finally {
          await engine.close();
        }
      });
    } finally {
      if (!handedOver) await engine.close();
    }
    return target.prepare(t.tenantId, sourceLabel(t.source, t.backup), locale, t.options?.replaceExisting ?? false, t.options?.replaceCompleted ?? false);
  });
}

export interface TablePlanSummary {
  table: string;
  key: string[] | null;
  estimatedRows: number;
}

export interface DescribeResult {
  tables: TablePlanSummary[];
  notes: number;
  notMigrated: number;
}

/** Describes the source once and stores the model in the target, so every retry uses the same model. */
export async function describeSource(t: TenantRef): Promise<DescribeResult> {
  return classified(`${tenantLabel(t)}: describe source ${t.source.server}/${t.source.database}`, async () => {
    const cfg = config();
    let model = await takeDescribedAhead(t)?.catch(() => undefined); // started by prepare; failed: described again
    if (!model) {
      const engine = await openTenantSource(cfg, t.source, t.options);
      try {
        // The schema's DDL (create schema, next) is read while the model is.
        engine.prefetchSchema?.();
        model = await engine.describe();
      } finally {
        await engine.close();
      }
    }
    const stored = await openTarget(cfg, t.target).saveModel(model);
    rememberModel(t, stored);
    return {
      tables: stored.tables.map((tb) => ({ table: `${tb.targetSchema}.${tb.targetName}`, key: tb.key, estimatedRows: tb.estimatedRows })),
      notes: stored.notes.length,
      notMigrated: stored.notMigrated.length,
    };
  });
}

/** Tables of a target migrated by tmig (from its stored model), for standalone validation. */
export async function listMigratedTables(t: TenantRef): Promise<string[]> {
  return classified(`${tenantLabel(t)}: read the stored model of ${t.target.server}/${t.target.database}`, async () => {
    const db = await openTarget(config(), t.target).connect();
    try {
      const managed = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = '_tmig'`);
      if (!managed.rowCount) {
        throw new PermanentError(FailureType.BadInput, `${t.target.server}/${t.target.database} was not migrated by tmig (no _tmig schema): nothing to validate against`);
      }
      const model = await PostgresTarget.loadModel(db);
      return model.tables.map((tb) => `${tb.targetSchema}.${tb.targetName}`);
    } finally {
      await db.end();
    }
  });
}
