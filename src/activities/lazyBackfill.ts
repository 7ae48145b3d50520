/** Activity: the eager backfill of one collection, resumable from its checkpoint in MySQL, heartbeating per chunk. */
import type { LazyMigrationInput } from '../contract/lazyMigration';
import { readControl } from '../engines/mysql/stageControl';
import { backfillCollection, type BackfillResult } from '../lazy/backfillCollection';
import { collectionPlan, parseLazyPlan } from '../contract/lazyPlan';
import { mongoDatabase, mysqlPool } from '../lazy/serverConnections';
import { BadInputError } from '../contract/failures';
import { classified, config, heartbeat, throwIfCancelled, withHeartbeats } from './activityContext';

export async function lazyBackfillCollection(args: { input: LazyMigrationInput; collection: string }): Promise<BackfillResult> {
  const { input, collection } = args;
  return classified(`service ${input.service}, collection ${collection}: backfill`, async () => {
    const plan = collectionPlan(parseLazyPlan(input.plan), collection);
    const pool = mysqlPool(config(), input.mysql);
    const control = await readControl(pool, input.service);
    if (control?.stage !== 4) throw new BadInputError(`service ${input.service}: backfill runs only in stage 4 (stage is ${control?.stage})`);
    const mongo = await mongoDatabase(config(), input.mongo);
    let last = { docsRead: 0, lastId: null as string | null };
    return withHeartbeats(() => last, () => backfillCollection(mongo.collection(collection), pool, plan, {
      chunkSize: input.chunkSize ?? 1000, chunkDelayMs: input.chunkDelayMs ?? 0, dualConfirmedAt: control.dualConfirmedAt,
      onChunk: (cp) => {
        last = { docsRead: cp.docsRead, lastId: cp.lastId };
        heartbeat(last);
        throwIfCancelled();
      },
    }));
  });
}
