import { createHash } from 'node:crypto';

/**
 * Deterministic chunk sample: a chunk is re-read when a hash of its identity falls under the
 * rate; the first and last chunk of each range are always re-read (edges are where bugs hide).
 */
export function chunkSelected(table: string, rangeId: number, chunkNo: number, lastOfRange: boolean, rate: number): boolean {
  if (rate >= 1 || chunkNo === 1 || lastOfRange) return true;
  if (rate <= 0) return false;
  const h = createHash('sha1').update(`${table}\0${rangeId}\0${chunkNo}`).digest().readUInt32BE(0);
  return h / 0x100000000 < rate;
}
