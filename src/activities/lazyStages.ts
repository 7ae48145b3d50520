/** Activities of the lazy migration's stage machine: install, stage preconditions and changes, writer confirmation, counts. */
import { FailureType, PermanentError } from '../contract/failures';
import type { LazyMigrationInput, MigratedCounts } from '../contract/lazyMigration';
import { countDocStates } from '../engines/mysql/docState';
import { listWriters, readControl, setControlFlags, setStage, type ControlRow } from '../engines/mysql/stageControl';
import { installLazy } from '../lazy/installLazy';
import { parseLazyPlan } from '../contract/lazyPlan';
import { reverseSyncAppWrites } from '../lazy/reverseSync';
import { mongoDatabase, mysqlPool } from '../lazy/serverConnections';
import { classified, config } from './activityContext';

export interface LazyControlState {
  stage: number;
  dualConfirmed: boolean;
  backfillDone: boolean;
  validationPassed: boolean;
  cleanupDone: boolean;
}

function controlState(row: ControlRow): LazyControlState {
  return { stage: row.stage, dualConfirmed: row.dualConfirmedAt !== null, backfillDone: row.backfillDone, validationPassed: row.validationPassed, cleanupDone: row.cleanupDone };
}

function refused(service: string, message: string): PermanentError {
  return new PermanentError(FailureType.AdvanceRefused, `service ${service}: ${message}`);
}

const ttl = (input: LazyMigrationInput) => input.stageTtlMs ?? 2000;

/** Creates the plan's tables and the control row (stage 1) if missing; returns the stored state (a restarted workflow resumes it). */
export async function lazyInstall(input: LazyMigrationInput): Promise<LazyControlState> {
  return classified(`service ${input.service}: install`, async () => {
    const plan = parseLazyPlan(input.plan, `service ${input.service}: plan`);
    const pool = mysqlPool(config(), input.mysql);
    await installLazy(pool, plan, input.service);
    return controlState((await readControl(pool, input.service))!);
  });
}

async function liveWritersBelow(input: LazyMigrationInput, minStage: number): Promise<number> {
  const live = Math.max(5, (3 * ttl(input)) / 1000);
  return (await listWriters(mysqlPool(config(), input.mysql), input.service)).filter((w) => w.ageSeconds <= live && w.stageSeen < minStage).length;
}

function stageAgeMs(row: ControlRow): number {
  return Date.parse(`${row.now.replace(' ', 'T')}Z`) - Date.parse(`${row.stageChangedAt.replace(' ', 'T')}Z`);
}

/**
 * Checks the precondition of moving `from` -> `to` (next stage, or the previous one for a rollback) and
 * moves. Refusals are permanent failures of type AdvanceRefused with the reason.
 */
export async function lazySetStage(args: { input: LazyMigrationInput; from: number; to: number }): Promise<LazyControlState> {
  const { input, from, to } = args;
  return classified(`service ${input.service}: stage ${from} -> ${to}`, async () => {
    const pool = mysqlPool(config(), input.mysql);
    const row = await readControl(pool, input.service);
    if (!row) throw refused(input.service, 'no control row (the workflow installs it first)');
    if (row.stage === to) return controlState(row); // retried after the move committed
    if (row.stage !== from) throw refused(input.service, `stage is ${row.stage}, not ${from}`);
    if (to === from + 1) {
      if (to === 3 && !row.dualConfirmedAt) throw refused(input.service, 'read-through needs every writer in dual write first (not confirmed yet: some instance still reports stage 1, or the stage TTL has not passed)');
      if (to === 4) {
        if (stageAgeMs(row) < ttl(input)) throw refused(input.service, `backfill needs every writer in read-through; the stage changed ${stageAgeMs(row)} ms ago, less than the stage TTL (${ttl(input)} ms)`);
        const lagging = await liveWritersBelow(input, 3);
        if (lagging > 0) throw refused(input.service, `backfill needs every writer in read-through; ${lagging} live instance(s) still report an older stage`);
      }
      if (to === 5 && !(row.backfillDone && row.validationPassed)) throw refused(input.service, `cleanup needs a finished backfill and a passed validation (backfill ${row.backfillDone ? 'done' : 'not done'}, validation ${row.validationPassed ? 'passed' : 'not passed'})`);
    } else if (to === from - 1) {
      if (from >= 5) throw refused(input.service, 'no rollback once cleanup started');
    } else {
      throw refused(input.service, `stage ${from} can only move to ${from + 1} (advance) or ${from - 1} (rollback), not ${to}`);
    }
    await setStage(pool, input.service, from, to);
    return controlState((await readControl(pool, input.service))!);
  });
}

/** Rollback 3 -> 2: writes the application's stage-3 writes back to MongoDB (run once writers left stage 3). */
export async function lazyReverseSync(input: LazyMigrationInput): Promise<number> {
  return classified(`service ${input.service}: reverse sync`, async () => {
    const plan = parseLazyPlan(input.plan);
    return reverseSyncAppWrites(await mongoDatabase(config(), input.mongo), mysqlPool(config(), input.mysql), plan);
  });
}

/** In dual write: once the stage TTL has passed and no live writer reports stage 1, records that every writer dual-writes. */
export async function lazyConfirmWriters(input: LazyMigrationInput): Promise<{ confirmed: boolean; lagging: number }> {
  return classified(`service ${input.service}: confirm writers`, async () => {
    const pool = mysqlPool(config(), input.mysql);
    const row = await readControl(pool, input.service);
    if (!row || row.stage !== 2) return { confirmed: false, lagging: 0 };
    if (row.dualConfirmedAt) return { confirmed: true, lagging: 0 };
    const lagging = await liveWritersBelow(input, 2);
    if (lagging > 0 || stageAgeMs(row) < ttl(input)) return { confirmed: false, lagging };
    await setControlFlags(pool, input.service, { dualConfirmedNow: true });
    return { confirmed: true, lagging: 0 };
  });
}

/** How documents reached MySQL, per collection (counts only, for status and the report). */
export async function lazyCounts(input: LazyMigrationInput): Promise<MigratedCounts[]> {
  return classified(`service ${input.service}: counts`, async () => {
    const plan = parseLazyPlan(input.plan);
    const rows = await countDocStates(mysqlPool(config(), input.mysql));
    return plan.collections.map((c) => {
      const mine = rows.filter((r) => r.coll === c.collection && !r.tombstone);
      const sum = (f: (r: (typeof mine)[number]) => boolean) => mine.filter(f).reduce((n, r) => n + r.docs, 0);
      return {
        collection: c.collection, lazily: sum((r) => r.origin === 'read' && !r.appOwned), dualWritten: sum((r) => r.origin === 'dual' && !r.appOwned),
        byBackfill: sum((r) => r.origin === 'backfill' && !r.appOwned), byApplication: sum((r) => r.appOwned), rejected: sum((r) => r.origin === 'rejected'),
      };
    });
  });
}
