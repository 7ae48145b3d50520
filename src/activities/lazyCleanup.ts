/** Activity: cleanup after an explicit confirm: each MongoDB collection archived (exported, counted), then dropped. */
import { join, resolve } from 'node:path';
import type { LazyMigrationInput } from '../contract/lazyMigration';
import { readControl, setControlFlags } from '../engines/mysql/stageControl';
import { archiveAndDrop } from '../engines/mongodb/collectionArchive';
import { parseLazyPlan } from '../contract/lazyPlan';
import { mongoDatabase, mysqlPool } from '../lazy/serverConnections';
import { FailureType, PermanentError } from '../contract/failures';
import { classified, config } from './activityContext';

export async function lazyArchiveAndDrop(input: LazyMigrationInput): Promise<{ collection: string; file: string; documents: number }[]> {
  return classified(`service ${input.service}: cleanup`, async () => {
    const plan = parseLazyPlan(input.plan);
    const pool = mysqlPool(config(), input.mysql);
    const control = await readControl(pool, input.service);
    if (control?.stage !== 5 || !control.validationPassed) {
      throw new PermanentError(FailureType.AdvanceRefused, `service ${input.service}: cleanup needs stage 5 and a passed validation`);
    }
    const mongo = await mongoDatabase(config(), input.mongo);
    const dir = resolve(input.archiveDir ?? join(config().workDir, 'lazy-archives', input.service));
    const existing = new Set((await mongo.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    const out = [];
    for (const c of plan.collections) {
      if (!existing.has(c.collection)) continue; // dropped by an earlier attempt, after its archive was written
      const res = await archiveAndDrop(mongo.collection(c.collection), join(dir, `${c.collection}.ejson.gz`));
      out.push({ collection: res.collection, file: res.file, documents: res.documents });
    }
    await setControlFlags(pool, input.service, { cleanupDone: true });
    return out;
  });
}
