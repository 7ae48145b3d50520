/**
 * The source's description started by prepare, for the describe that follows on the same worker:
 * prepare already opens the source (its locale; proof that it exists), and the target database's
 * creation and bookkeeping take as long as reading the source's catalog, so both run at once
 * instead of one after the other (issue 16: a small tenant's wall time is mostly such steps).
 *
 * Kept per worker, keyed by the whole tenant reference, for AHEAD_TTL_MS and used once. A failed
 * description is not kept as the answer: its user describes again.
 */
import type { TenantRef } from '../contract/tenantRef';
import type { SchemaModel } from '../engines/schemaModel';

const AHEAD_TTL_MS = 30_000;

const ahead = new Map<string, { model: Promise<SchemaModel>; expiry: NodeJS.Timeout }>();

const keyOf = (t: TenantRef): string => JSON.stringify([t.tenantId, t.source, t.target, t.options ?? null, t.backup ?? null]);

/** Starts `describe` now, for takeDescribedAhead(t) in this process within AHEAD_TTL_MS. */
export function describeAhead(t: TenantRef, describe: () => Promise<SchemaModel>): void {
  const key = keyOf(t);
  const previous = ahead.get(key);
  if (previous) clearTimeout(previous.expiry);
  const model = describe();
  model.catch(() => undefined); // its user describes again; unused, it is dropped
  const expiry = setTimeout(() => ahead.delete(key), AHEAD_TTL_MS);
  expiry.unref();
  ahead.set(key, { model, expiry });
}

/** The description started ahead for this tenant, once (undefined if none, expired or already taken). */
export function takeDescribedAhead(t: TenantRef): Promise<SchemaModel> | undefined {
  const key = keyOf(t);
  const entry = ahead.get(key);
  if (!entry) return undefined;
  ahead.delete(key);
  clearTimeout(entry.expiry);
  return entry.model;
}
