/**
 * The source's description started by prepare, for the describe that follows on the same worker:
 * prepare already opens the source (its locale; proof that it exists), and the target database's
 * creation and bookkeeping take as long as reading the source's catalog, so both run at once
 * instead of one after the other (issue 16: a small tenant's wall time is mostly such steps).
 *
 * Kept per worker, keyed by the whole tenant reference, for 30 s and used once. A failed
 * description is not kept as the answer: its user describes again.
 */
import type { TenantRef } from '../contract/tenantRef';
import type { SchemaModel } from '../engines/schemaModel';
import { StartedAhead } from '../engines/startedAhead';

const ahead = new StartedAhead<SchemaModel>(30_000);

// The whole reference, backup included: a backup tenant is never described ahead, so it never takes
// a description started for a tenant that differs from it only by that.
const keyOf = (t: TenantRef): string => JSON.stringify([t.tenantId, t.source, t.target, t.options ?? null, t.backup ?? null]);

/** Starts `describe` now, for takeDescribedAhead(t); false (`describe` not called) when one is already started. */
export function describeAhead(t: TenantRef, describe: () => Promise<SchemaModel>): boolean {
  return ahead.start(keyOf(t), describe);
}

/** The description started ahead for this tenant, once (undefined if none, expired or already taken). */
export function takeDescribedAhead(t: TenantRef): Promise<SchemaModel> | undefined {
  return ahead.take(keyOf(t));
}
