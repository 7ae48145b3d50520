/**
 * Lag and retained WAL of a stream, read from the source server: how far the slot's confirmed
 * position trails the server's WAL end, and how much WAL the slot keeps on disk. The retained
 * WAL limit fails the stream clearly before the source's disk fills.
 */
import type { Client } from 'pg';
import { FailureType, PermanentError } from '../contract/failures';
import { slotInfo } from './replicationSetup';
import { MARKER_PREFIX } from './pgoutputDecoding';

export interface SlotLag {
  currentLsn: string;
  confirmedLsn: string | null;
  lagBytes: number;
  retainedWalBytes: number;
}

export async function measureSlot(db: Client, slot: string): Promise<SlotLag> {
  const s = await slotInfo(db, slot);
  if (!s) throw new PermanentError(FailureType.SourceMissing, `replication slot ${slot} does not exist (dropped by an operator or by \`tmig cdc cleanup\`?)`);
  const r = await db.query<{ cur: string; lag: string | null }>(
    'SELECT pg_current_wal_lsn()::text AS cur, pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text AS lag', [s.confirmedFlushLsn]);
  return {
    currentLsn: r.rows[0].cur, confirmedLsn: s.confirmedFlushLsn,
    lagBytes: Math.max(0, Number(r.rows[0].lag ?? 0)), retainedWalBytes: s.retainedBytes,
  };
}

export function assertRetainedWalWithinLimit(label: string, slot: string, lag: SlotLag, limitBytes: number): void {
  if (limitBytes > 0 && lag.retainedWalBytes > limitBytes) {
    throw new PermanentError(FailureType.DiskFull,
      `${label}: replication slot ${slot} retains ${mb(lag.retainedWalBytes)} of WAL on the source, over the limit of ${mb(limitBytes)} ` +
      `(options.cdc.maxRetainedWalBytes); the stream is not keeping up. The slot is dropped; restart the tenant when the source is quieter or raise the limit`);
  }
}

/**
 * Writes a non-transactional logical message: on an idle tenant database it gives the stream
 * something to confirm, so the slot moves on instead of holding the server's WAL (Debezium's heartbeat).
 */
export async function emitHeartbeat(db: Client): Promise<void> {
  await db.query(`SELECT pg_logical_emit_message(false, $1, 'heartbeat')`, [MARKER_PREFIX]);
}

/** Writes a transactional drain marker: once it has been applied, everything committed before it has been. */
export async function emitDrainMarker(db: Client, marker: string): Promise<string> {
  const r = await db.query<{ lsn: string }>(`SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn`, [MARKER_PREFIX, marker]);
  return r.rows[0].lsn;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
