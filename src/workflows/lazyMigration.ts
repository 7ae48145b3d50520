/**
 * lazyMigration: the stage orchestrator of one service's application-driven move from MongoDB to
 * MySQL (legacy -> dual write -> read-through -> backfill -> cleanup). The stage lives in MySQL's
 * control table; `advance` and `rollback` are updates that check each stage's precondition.
 */
import {
  ApplicationFailure, CancellationScope, condition, isCancellation, patched, proxyActivities, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import {
  ADVANCE_REFUSED, advanceUpdate, lazyStatusQuery, rollbackUpdate, STAGE_NAMES, type LazyMigrationInput, type LazyStatus,
} from '../contract/lazyMigration';
import { HEAVY_TASK_QUEUE } from '../contract/names';
import { withPermits } from './permits';

const light = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: [ADVANCE_REFUSED] },
});
const heavy = proxyActivities<typeof activities>({
  taskQueue: HEAVY_TASK_QUEUE,
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: ADVANCE_REFUSED, message, nonRetryable: true });
}

export async function lazyMigration(input: LazyMigrationInput): Promise<LazyStatus> {
  const ttl = input.stageTtlMs ?? 2000;
  const plan = input.plan as { collections: { collection: string }[] };
  const status: LazyStatus = {
    service: input.service, stage: 1, stageName: STAGE_NAMES[1], dualConfirmed: false, backfill: [], backfillDone: false,
    validation: null, cleanup: null, counts: [], history: [], lastError: null, done: false,
  };
  const setStage = (stage: number, at?: string) => {
    if (stage !== status.stage) status.history.push({ from: status.stage, to: stage, at: at ?? new Date().toISOString() });
    status.stage = stage;
    status.stageName = STAGE_NAMES[stage] ?? String(stage);
  };
  const installed = await light.lazyInstall(input);
  setStage(installed.stage);
  status.dualConfirmed = installed.dualConfirmed;
  status.backfillDone = installed.backfillDone;

  let busy = false;
  let backfillScope: CancellationScope | undefined;

  setHandler(lazyStatusQuery, () => status);

  setHandler(advanceUpdate, async ({ to, confirm }) => {
    busy = true;
    try {
      if (to === 5 && !confirm) refuse(`service ${input.service}: cleanup drops the MongoDB collections; advance with confirm`);
      if (to === 5) {
        if (!status.backfillDone) refuse(`service ${input.service}: cleanup needs a finished backfill`);
        // Validated again right before cleanup: MongoDB and MySQL as they are now.
        status.validation = await heavy.lazyValidate(input);
        if (!status.validation.passed) refuse(`service ${input.service}: cleanup refused: validation failed (${status.validation.collections.reduce((n, c) => n + c.mismatchCount, 0)} mismatches)`);
      }
      const res = await light.lazySetStage({ input, from: status.stage, to });
      setStage(res.stage);
      status.dualConfirmed = res.dualConfirmed;
      status.counts = await light.lazyCounts(input);
      return status;
    } finally {
      busy = false;
    }
  }, {
    validator: ({ to }) => {
      if (busy) throw new Error('another stage change is in progress');
      if (status.done) throw new Error('the migration is finished');
      if (to !== status.stage + 1) throw new Error(`stage ${status.stage} (${status.stageName}) can only advance to ${status.stage + 1}, not ${to}`);
    },
  });

  setHandler(rollbackUpdate, async () => {
    busy = true;
    try {
      const from = status.stage;
      backfillScope?.cancel();
      const res = await light.lazySetStage({ input, from, to: from - 1 });
      setStage(res.stage);
      status.dualConfirmed = res.dualConfirmed;
      status.backfillDone = false;
      status.validation = null;
      if (from === 3) {
        // Writers leave stage 3 within the TTL; then their MySQL-only writes go back to MongoDB.
        await sleep(ttl + 1000);
        await light.lazyReverseSync(input);
      }
      status.counts = await light.lazyCounts(input);
      return status;
    } finally {
      busy = false;
    }
  }, {
    validator: () => {
      if (busy) throw new Error('another stage change is in progress');
      if (status.stage <= 1) throw new Error('stage 1 (legacy) has no previous stage');
      if (status.stage >= 5) throw new Error('no rollback once cleanup started');
    },
  });

  for (;;) {
    if (status.stage === 2 && !status.dualConfirmed) {
      const res = await light.lazyConfirmWriters(input);
      if (!busy && status.stage === 2) status.dualConfirmed = res.confirmed;
      if (!res.confirmed) await condition(() => status.stage !== 2, ttl);
      continue;
    }
    if (status.stage === 4 && !status.backfillDone) {
      // A rollback cancels the backfill and then moves the stage: do not start another backfill
      // in between (it would fail "stage is 3" and leave a false lastError).
      if (busy && patched('lazy-backfill-waits-for-stage-change')) {
        await condition(() => !busy);
        continue;
      }
      await runBackfill();
      continue;
    }
    if (status.stage === 5) {
      status.cleanup = await light.lazyArchiveAndDrop(input);
      status.counts = await light.lazyCounts(input);
      status.done = true;
      return status;
    }
    const stage = status.stage;
    await condition(() => status.stage !== stage);
  }

  async function runBackfill(): Promise<void> {
    backfillScope = new CancellationScope();
    try {
      await backfillScope.run(() => withPermits([{ pool: input.mysql.server }], workflowInfo().workflowId, async () => {
        status.backfill = await Promise.all(plan.collections.map(async ({ collection }) => {
          const r = await heavy.lazyBackfillCollection({ input, collection });
          return { collection, docsRead: r.docsRead, docsCopied: r.docsCopied, docsSkipped: r.docsSkipped, docsRejected: r.docsRejected, done: r.done, resumedFrom: r.resumedFrom, repaired: r.repaired };
        }));
      }));
      await light.lazyMarkBackfillDone(input);
      status.backfillDone = true;
      const validation = await heavy.lazyValidate(input);
      status.counts = await light.lazyCounts(input);
      status.validation = validation;
      status.lastError = status.validation.passed ? null : 'validation after backfill failed (see validation.collections[].mismatches)';
    } catch (err) {
      if (!isCancellation(err)) {
        status.lastError = String((err as Error).message);
        // Stay in stage 4: the operator may fix the cause and roll back or retry.
        await condition(() => status.stage !== 4);
      }
    } finally {
      backfillScope = undefined;
    }
  }
}
