/**
 * One time-boxed slice of a tenant's change stream: stream from the stored position, apply in
 * batches, watch lag, retained WAL and schema drift, write heartbeats into an idle source, and
 * stop at the end of the budget or once a drain marker has been applied. The caller (an
 * activity) heartbeats and honours cancellation through `onTick`.
 */
import { Client } from 'pg';
import { FailureType, PermanentError } from '../contract/failures';
import { applyBatch, type ApplyTable } from './batchApply';
import { PgChangeStream, type ChangeStreamStats } from './pgChangeStream';
import { readStreamPosition } from '../engines/postgres/checkpointStore';
import { assertRetainedWalWithinLimit, emitHeartbeat, measureSlot, type SlotLag } from './slotLag';
import { schemaDrift, type TablePair } from './schemaDrift';
import { compareLsn } from './lsn';

export interface StreamTable extends TablePair {
  apply: ApplyTable;
}

export interface StreamSliceRequest {
  label: string;
  slot: string;
  publication: string;
  /** The database changes come from, and the one they are applied to (URLs stay in the worker). */
  fromUrl: string;
  toUrl: string;
  tables: StreamTable[];
  budgetMs: number;
  /** Stop as soon as this drain marker has been applied. */
  untilMarker?: string;
  /**
   * The marker's LSN (from writeDrainMarker). A stream whose stored position is already at or past it
   * has applied the marker: an attempt killed after applying it, before returning, must not wait
   * for a marker the slot will never send again. (The side is frozen during a drain: nothing else
   * commits around the marker.)
   */
  markerLsn?: string;
  maxRetainedWalBytes: number;
  maxBatchChanges?: number;
  /** Write a heartbeat into the source when nothing was applied for this long. */
  idleHeartbeatMs?: number;
  onTick?: (stats: StreamSliceResult) => void;
}

export interface StreamSliceResult {
  appliedLsn: string;
  changesApplied: number;
  transactionsApplied: number;
  /** Changes applied since the stream started (stored in the target). */
  changesTotal: number;
  lastAppliedCommitTime: string | null;
  lagBytes: number;
  lagSeconds: number;
  retainedWalBytes: number;
  appliedPerSecond: number;
  markerReached: boolean;
  ms: number;
}

async function open(url: string, appName: string): Promise<Client> {
  const db = new Client({ connectionString: url, application_name: appName });
  db.on('error', () => undefined);
  await db.connect();
  // The database may be frozen for applications (default_transaction_read_only); tmig still writes.
  await db.query(`SET default_transaction_read_only = off; SET TimeZone = 'UTC'`);
  return db;
}

export async function runStreamSlice(req: StreamSliceRequest): Promise<StreamSliceResult> {
  const started = Date.now();
  const from = await open(req.fromUrl, 'tmig-cdc-source');
  const to = await open(req.toUrl, 'tmig-cdc-apply');
  let stream: PgChangeStream | undefined;
  try {
    const pos = await readStreamPosition(to, req.slot);
    if (!pos) throw new PermanentError(FailureType.TargetConflict, `${req.label}: stream ${req.slot} has no stored position in the database it applies to; restart the tenant`);
    const changesBefore = pos.changes;
    let lag: SlotLag = await measureSlot(from, req.slot);
    assertRetainedWalWithinLimit(req.label, req.slot, lag, req.maxRetainedWalBytes);
    const byName = new Map(req.tables.map((t) => [t.apply.source, t.apply]));
    stream = new PgChangeStream({
      connection: { connectionString: req.fromUrl, application_name: 'tmig-cdc-stream' },
      slot: req.slot, publication: req.publication, label: req.label, fromLsn: pos.lsn,
      tables: req.tables.map((t) => ({ source: t.apply.source, columns: t.apply.columns.map((c) => c.source), key: t.apply.key })),
      maxBatchChanges: req.maxBatchChanges ?? 5000, maxBatchMs: 300,
      apply: (batch) => applyBatch(to, req.slot, byName, batch),
    });
    await stream.start();
    const result = (s: ChangeStreamStats): StreamSliceResult => {
      const ms = Date.now() - started;
      return {
        appliedLsn: s.appliedLsn, changesApplied: s.changesApplied, transactionsApplied: s.transactionsApplied,
        changesTotal: changesBefore + s.changesApplied, lastAppliedCommitTime: s.lastAppliedCommitTime ?? pos.lastCommitTime,
        lagBytes: lag.lagBytes, lagSeconds: s.idle ? 0 : Math.round(s.applyDelaySeconds * 10) / 10,
        retainedWalBytes: lag.retainedWalBytes, appliedPerSecond: ms > 0 ? Math.round((s.changesApplied * 1000) / ms) : 0,
        // appliedLsn starts at the stored position: a marker applied by a killed attempt counts.
        markerReached: req.untilMarker !== undefined && (s.markers.includes(req.untilMarker)
          || (req.markerLsn !== undefined && compareLsn(s.appliedLsn, req.markerLsn) >= 0)), ms,
      };
    };
    let lastMeasure = Date.now();
    let lastDrift = Date.now();
    let lastApplied = -1;
    let lastActivity = Date.now();
    for (;;) {
      if (stream.failed) throw stream.failed;
      const now = Date.now();
      if (now - lastMeasure >= 2000) {
        lag = await measureSlot(from, req.slot);
        assertRetainedWalWithinLimit(req.label, req.slot, lag, req.maxRetainedWalBytes);
        lastMeasure = now;
      }
      if (now - lastDrift >= 15_000) {
        const drift = await schemaDrift(from, to, req.tables);
        if (drift.length) throw new PermanentError(FailureType.SchemaFailed, `${req.label}: DDL during streaming: ${drift.join('; ')}. Schema changes are not replicated; restart the tenant after the change`);
        lastDrift = now;
      }
      if (stream.stats.changesApplied !== lastApplied) {
        lastApplied = stream.stats.changesApplied;
        lastActivity = now;
      } else if (now - lastActivity >= (req.idleHeartbeatMs ?? 10_000)) {
        await emitHeartbeat(from);
        lastActivity = now;
      }
      const r = result(stream.stats);
      req.onTick?.(r);
      if (r.markerReached || now - started >= req.budgetMs) break;
      await Promise.race([new Promise((res) => setTimeout(res, r.markerReached ? 0 : 250)), stream.failure().catch(() => undefined)]);
    }
    await stream.stop();
    if (stream.failed) throw stream.failed;
    lag = await measureSlot(from, req.slot);
    return result(stream.stats);
  } finally {
    await stream?.stop().catch(() => undefined);
    await from.end().catch(() => undefined);
    await to.end().catch(() => undefined);
  }
}
