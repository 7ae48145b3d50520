/**
 * Shipments as a document store holds them (nested, about 1 KB each), from several sources,
 * deterministic per seed: the lazy migration's demo, tests and bench all use them. Fake data only.
 */
import { ObjectId } from 'mongodb';

const SOURCES = ['web', 'edi', 'api', 'partner-feed'];
const STATUSES = ['created', 'picked', 'in-transit', 'delivered'];
const CITIES = ['Lyon', 'Porto', 'Gdansk', 'Tampere', 'Bilbao', 'Graz', 'Aarhus', 'Brno'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

/** An ObjectId from a number, so ids are in insertion order and reproducible. */
export function shipmentId(n: number): ObjectId {
  return new ObjectId(`6a${n.toString(16).padStart(22, '0')}`);
}

export function shipmentDocument(n: number): Record<string, unknown> {
  const r = rng(n * 7919 + 17);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const items = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => ({
    sku: `SKU-${Math.floor(r() * 1e6)}`, qty: 1 + Math.floor(r() * 9), priceCents: Math.floor(r() * 100_000),
    description: `item ${i} ${'x'.repeat(40 + Math.floor(r() * 60))}`,
  }));
  return {
    _id: shipmentId(n),
    trackingNo: `TRK${String(n).padStart(10, '0')}`,
    source: pick(SOURCES),
    status: pick(STATUSES),
    weightKg: Math.round(r() * 50_000) / 1000,
    pieces: items.length,
    createdAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 3e10)),
    sender: { name: `Sender ${n}`, city: pick(CITIES), postcode: String(10000 + Math.floor(r() * 89999)) },
    recipient: { name: `Recipient ${n}`, city: pick(CITIES), postcode: String(10000 + Math.floor(r() * 89999)) },
    items,
    tags: [pick(SOURCES), pick(STATUSES)],
    notes: `handling notes ${'n'.repeat(150 + Math.floor(r() * 200))}`,
  };
}
