/**
 * The online migration's activities, each loading `cdcSteps.ts` (the change-capture code and
 * `pg-logical-replication`) on first call: a worker that never runs an online migration does not
 * load them. Same names and signatures as the functions they forward to.
 */
import type * as Steps from './cdcSteps';

export type { StreamChangesRequest, StreamSliceResult, FrozenTableCheck, FreezeResult, Side } from './cdcSteps';

const steps = () => import('./cdcSteps');

export const checkOnlineSource: typeof Steps.checkOnlineSource = async (t) => (await steps()).checkOnlineSource(t);
export const prepareChangeCapture: typeof Steps.prepareChangeCapture = async (t) => (await steps()).prepareChangeCapture(t);
export const streamChanges: typeof Steps.streamChanges = async (t, req) => (await steps()).streamChanges(t, req);
export const freezeSide: typeof Steps.freezeSide = async (t, side) => (await steps()).freezeSide(t, side);
export const unfreezeSide: typeof Steps.unfreezeSide = async (t, side) => (await steps()).unfreezeSide(t, side);
export const writeDrainMarker: typeof Steps.writeDrainMarker = async (t, direction, marker) => (await steps()).writeDrainMarker(t, direction, marker);
export const syncStreamSequences: typeof Steps.syncStreamSequences = async (t, direction) => (await steps()).syncStreamSequences(t, direction);
export const validateDeferredForeignKeys: typeof Steps.validateDeferredForeignKeys = async (t) => (await steps()).validateDeferredForeignKeys(t);
export const checkFrozenTable: typeof Steps.checkFrozenTable = async (t, table) => (await steps()).checkFrozenTable(t, table);
export const runTenantSwitchHook: typeof Steps.runTenantSwitchHook = async (t, switchTo) => (await steps()).runTenantSwitchHook(t, switchTo);
export const startReverseReplication: typeof Steps.startReverseReplication = async (t) => (await steps()).startReverseReplication(t);
export const dropChangeCapture: typeof Steps.dropChangeCapture = async (t, directions) => (await steps()).dropChangeCapture(t, directions);
