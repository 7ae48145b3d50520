/** Activity: validation of every collection (counts and per-document checksums); records pass/fail in the control table. */
import type { LazyMigrationInput, ValidationSummary } from '../contract/lazyMigration';
import { setControlFlags } from '../engines/mysql/stageControl';
import { parseLazyPlan } from '../contract/lazyPlan';
import { mongoDatabase, mysqlPool } from '../lazy/serverConnections';
import { validateCollection } from '../lazy/validateCollection';
import { classified, config, heartbeat } from './activityContext';

export async function lazyValidate(input: LazyMigrationInput): Promise<ValidationSummary> {
  return classified(`service ${input.service}: validation`, async () => {
    const plan = parseLazyPlan(input.plan);
    const pool = mysqlPool(config(), input.mysql);
    const mongo = await mongoDatabase(config(), input.mongo);
    const collections = [];
    for (const c of plan.collections) {
      collections.push(await validateCollection(mongo.collection(c.collection), pool, c, 1000, () => heartbeat({ collection: c.collection })));
    }
    const passed = collections.every((c) => c.passed);
    await setControlFlags(pool, input.service, { validationPassed: passed });
    return { passed, collections };
  });
}

export async function lazyMarkBackfillDone(input: LazyMigrationInput): Promise<void> {
  await setControlFlags(mysqlPool(config(), input.mysql), input.service, { backfillDone: true });
}
