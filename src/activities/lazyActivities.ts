/**
 * The lazy migration's activities, each loading its module on first call: they bring `mysql2` and
 * `mongodb` (~230 modules, ~20 MB of heap), which a worker that never runs a lazy migration must not
 * load at start. Same names and signatures as the modules they forward to.
 */
import type * as Stages from './lazyStages';
import type * as Backfill from './lazyBackfill';
import type * as Validate from './lazyValidate';
import type * as Cleanup from './lazyCleanup';

/** Set once any lazy activity ran: only then are there connections to close at shutdown. */
let loaded = false;
const load = <T>(module: () => Promise<T>): Promise<T> => {
  loaded = true;
  return module();
};
const stages = () => load(() => import('./lazyStages'));
const validation = () => load(() => import('./lazyValidate'));

export const lazyInstall: typeof Stages.lazyInstall = async (input) => (await stages()).lazyInstall(input);
export const lazySetStage: typeof Stages.lazySetStage = async (args) => (await stages()).lazySetStage(args);
export const lazyReverseSync: typeof Stages.lazyReverseSync = async (input) => (await stages()).lazyReverseSync(input);
export const lazyConfirmWriters: typeof Stages.lazyConfirmWriters = async (input) => (await stages()).lazyConfirmWriters(input);
export const lazyCounts: typeof Stages.lazyCounts = async (input) => (await stages()).lazyCounts(input);
export const lazyBackfillCollection: typeof Backfill.lazyBackfillCollection = async (args) =>
  (await load(() => import('./lazyBackfill'))).lazyBackfillCollection(args);
export const lazyValidate: typeof Validate.lazyValidate = async (input) => (await validation()).lazyValidate(input);
export const lazyMarkBackfillDone: typeof Validate.lazyMarkBackfillDone = async (input) => (await validation()).lazyMarkBackfillDone(input);
export const lazyArchiveAndDrop: typeof Cleanup.lazyArchiveAndDrop = async (input) => (await load(() => import('./lazyCleanup'))).lazyArchiveAndDrop(input);

/**
 * Worker shutdown: closes the MongoDB clients and MySQL pools the lazy activities opened (without
 * them the process does not exit). Loads nothing when no lazy activity ran. Not an activity: the
 * worker imports it from here, not through `activities/index.ts`.
 */
export async function closeLazyConnections(): Promise<void> {
  if (!loaded) return;
  await (await import('../lazy/serverConnections')).closeServerConnections();
}
