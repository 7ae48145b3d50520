import { classified, config, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { loadModel } from './storedModel';
import type { DdlStep } from '../engines/sourceEngine';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';

/** Pre-data DDL (types, tables, defaults) in one transaction; a retry after commit is a no-op. Stores the post-data DDL for later. */
export async function createSchema(t: TenantRef): Promise<{ applied: boolean }> {
  return classified(`${tenantLabel(t)}: create schema`, () => withHeartbeats(() => ({ phase: 'schema' }), async () => {
    const cfg = config();
    const model = await loadModel(t);
    const engine = await openTenantSource(cfg, t.source, t.options);
    try {
      const steps = await engine.preDataSteps(model);
      const target = openTarget(cfg, t.target);
      const applied = await target.applyPreData(steps);
      // The post-data DDL comes from the same dump (a PostgreSQL source dumps its schema once) and
      // waits in the target. An online source may still change before post-data: it is read then.
      if (!t.options?.online) await target.savePostDataPlan(await engine.postDataSteps(model));
      return { applied };
    } finally {
      await engine.close();
    }
  }));
}

/** Post-data DDL (keys, indexes, FKs, triggers, matview data) in parallel, then sequences. */
export async function applyPostData(t: TenantRef, parallelism: number): Promise<{ steps: number; applied: number }> {
  let current = '';
  // One index build on a large table can run for a long time: heartbeat on a timer, naming the step.
  return classified(`${tenantLabel(t)}: post-data`, () => withHeartbeats(() => ({ phase: 'post-data', step: current }), async () => {
    const cfg = config();
    const model = await loadModel(t);
    const engine = await openTenantSource(cfg, t.source, t.options);
    try {
      // Online tenants: the copy read tables at different moments while the source changed, so
      // foreign keys are added NOT VALID and validated at cutover, after the drain.
      const target = openTarget(cfg, t.target);
      const planned = t.options?.online ? undefined : await target.loadPostDataPlan();
      const steps = (planned ?? await engine.postDataSteps(model)).map((st) => (t.options?.online ? deferForeignKey(st) : st));
      const applied = await target.applyPostData(steps, parallelism, (label) => { current = label; });
      await target.syncSequences(await engine.sequenceStates(model));
      current = 'ANALYZE';
      await target.analyzeTables(model.tables.map((x) => ({ schema: x.targetSchema, name: x.targetName })));
      return { steps: steps.length, applied };
    } finally {
      await engine.close();
    }
  }));
}

/** A foreign key step made NOT VALID (unless it already is). */
function deferForeignKey(step: DdlStep): DdlStep {
  if (!step.label.startsWith('FK CONSTRAINT ') || /NOT VALID/i.test(step.sql)) return step;
  return { ...step, sql: step.sql.replace(/;\s*$/, ' NOT VALID;') };
}
