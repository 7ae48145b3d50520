import { classified, config, heartbeat } from './context';
import { createSourceEngine, createTarget } from '../engines/registry';
import { loadModel } from './model';
import { tenantLabel, type TenantRef } from './tenantRef';

/** Pre-data DDL (types, tables, defaults) in one transaction; a retry after commit is a no-op. */
export async function createSchema(t: TenantRef): Promise<{ applied: boolean }> {
  return classified(`${tenantLabel(t)}: create schema`, async () => {
    const cfg = config();
    const model = await loadModel(t);
    const engine = await createSourceEngine(cfg, t.source, t.options);
    try {
      const steps = await engine.preDataSteps(model);
      const applied = await createTarget(cfg, t.target).applyPreData(steps);
      return { applied };
    } finally {
      await engine.close();
    }
  });
}

/** Post-data DDL (keys, indexes, FKs, triggers, matview data) in parallel, then sequences. */
export async function applyPostData(t: TenantRef, parallelism: number): Promise<{ steps: number; applied: number }> {
  return classified(`${tenantLabel(t)}: post-data`, async () => {
    const cfg = config();
    const model = await loadModel(t);
    const engine = await createSourceEngine(cfg, t.source, t.options);
    try {
      const steps = await engine.postDataSteps(model);
      const target = createTarget(cfg, t.target);
      const applied = await target.applyPostData(steps, parallelism, (label) => heartbeat({ label }));
      await target.syncSequences(await engine.sequenceStates(model));
      return { steps: steps.length, applied };
    } finally {
      await engine.close();
    }
  });
}
