/**
 * The lazy demo's application: a small shipments service that keeps working through `tmig/lazy`
 * while the stages change under it. A writer books new shipments, moves existing ones along
 * (status, recipient city) and cancels some of its own; readers track shipments by id and by
 * tracking number. It remembers what it wrote, so the demo can prove nothing was lost.
 */
import { ObjectId, type Db, type Document } from 'mongodb';
import type { Pool } from 'mysql2/promise';
import { createLazyStore, type LazyStore } from '../lazy/lazyStore';
import type { LazyPlan } from '../contract/lazyPlan';
import { shipmentDocument, shipmentId } from './shipmentDocuments';

const STATUSES = ['picked', 'in-transit', 'out-for-delivery', 'delivered'];
const CITIES = ['Lyon', 'Porto', 'Graz', 'Brno'];
/** New shipments are numbered from here, so they never collide with the seeded ones. */
const NEW_FROM = 1_000_000;

export interface AppCounts {
  inserts: number;
  updates: number;
  cancels: number;
  gets: number;
  finds: number;
  /** Operations that threw (the demo expects none). */
  errors: string[];
  /** Reads of a shipment the application knows exists that came back empty (the demo expects none). */
  missing: string[];
}

export interface ShipmentsApp {
  counts: AppCounts;
  /** Every shipment the application believes exists, as it last wrote it (by _id hex). */
  expected: Map<string, Document>;
  /** Shipments it cancelled (deleted). */
  cancelled: Set<string>;
  stop(): Promise<void>;
  store: LazyStore;
}

export function startShipmentsApp(opts: { mongo: Db; mysql: Pool; plan: LazyPlan; service: string; stageTtlMs: number; seeded: number; readers?: number }): ShipmentsApp {
  const store = createLazyStore({ mongo: opts.mongo, mysql: opts.mysql, plan: opts.plan, collection: 'shipments', service: opts.service, stageTtlMs: opts.stageTtlMs });
  const expected = new Map<string, Document>(Array.from({ length: opts.seeded }, (_, i) => [shipmentId(i).toHexString(), shipmentDocument(i)]));
  // Ids readers may pick: never ones the writer might cancel, so a read racing a cancel is not "missing".
  const readable: string[] = [...expected.keys()];
  const cancelled = new Set<string>();
  const counts: AppCounts = { inserts: 0, updates: 0, cancels: 0, gets: 0, finds: 0, errors: [], missing: [] };
  let stopping = false;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const writer = (async () => {
    for (let n = 0; !stopping; n++) {
      try {
        if (n % 4 === 0) {
          const doc = shipmentDocument(NEW_FROM + n);
          await store.insert(doc);
          const id = (doc._id as { toHexString(): string }).toHexString();
          expected.set(id, doc);
          counts.inserts++;
          if (n % 20 === 0) {
            await store.delete(doc._id); // booked by mistake: cancelled at once
            expected.delete(id);
            cancelled.add(id);
            counts.cancels++;
          } else {
            readable.push(id);
          }
        } else {
          const id = readable[(n * 7919) % readable.length]!;
          const set = n % 3 === 0 ? { 'recipient.city': CITIES[n % CITIES.length] } : { status: STATUSES[n % STATUSES.length] };
          if (!(await store.update(shipmentIdFromHex(id), set))) counts.missing.push(`update ${id}`);
          applySet(expected.get(id)!, set);
          counts.updates++;
        }
      } catch (err) {
        counts.errors.push(`write ${n}: ${(err as Error).message}`);
      }
      await pause(10);
    }
  })();

  const reader = async (r: number) => {
    for (let n = 0; !stopping; n++) {
      const id = readable[(n * 104_729 + r * 31) % readable.length]!;
      try {
        if (n % 25 === 0) {
          const trackingNo = expected.get(id)!.trackingNo as string;
          const found = await store.findBy('trackingNo', trackingNo);
          if (found.length !== 1) counts.missing.push(`findBy trackingNo of ${id}: ${found.length} found`);
          counts.finds++;
        } else {
          if (!(await store.get(shipmentIdFromHex(id)))) counts.missing.push(`get ${id}`);
          counts.gets++;
        }
      } catch (err) {
        counts.errors.push(`read ${id}: ${(err as Error).message}`);
      }
      await pause(5);
    }
  };
  const readers = Array.from({ length: opts.readers ?? 2 }, (_, r) => reader(r));

  return {
    counts, expected, cancelled, store,
    async stop() {
      stopping = true;
      await Promise.all([writer, ...readers]);
    },
  };
}

function shipmentIdFromHex(hex: string): ObjectId {
  return new ObjectId(hex);
}

function applySet(doc: Document, set: Record<string, unknown>): void {
  for (const [path, value] of Object.entries(set)) {
    const parts = path.split('.');
    let cur = doc as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
    cur[parts[parts.length - 1]!] = value;
  }
}
