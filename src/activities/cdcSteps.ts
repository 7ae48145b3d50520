/**
 * Activities of online migration (thin: the work is in src/cdc): refuse unstreamable sources,
 * set up change capture before the copy, stream slices, freeze/unfreeze, drain markers,
 * sequences, the final check against the frozen source, the switch hook, reverse replication
 * and dropping every slot.
 */
import { Client } from 'pg';
import { classified, config, heartbeat, throwIfCancelled, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { serverConfig } from '../config/loadConfig';
import { connectionUrl } from '../engines/serverConnection';
import { qualified, quoteIdent } from '../engines/postgres/quoting';
import type { SchemaModel } from '../engines/schemaModel';
import { tableLabel } from '../engines/schemaModel';
import { FailureType, PermanentError } from '../contract/failures';
import { findTable, loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import type { DatabaseRef } from '../contract/migration';
import { replicationNames, type StreamDirection } from '../cdc/replicationNames';
import { dropReplication, ensurePublication, ensureSlot, streamabilityProblems } from '../cdc/replicationSetup';
import { deleteStreamPosition, initStreamPosition, readStreamPosition } from '../engines/postgres/checkpointStore';
import { applyTableOf } from '../cdc/batchApply';
import { runStreamSlice, type StreamSliceResult, type StreamTable } from '../cdc/streamSlice';
import { emitDrainMarker } from '../cdc/slotLag';
import { freezeWrites, unfreezeWrites } from '../cdc/writeFreeze';
import { syncSequencesForward } from '../cdc/sequenceSync';
import { runSwitchHook } from '../cdc/switchHook';
import { checkTableAgainstFrozenSource, type FrozenTableCheck } from '../validation/frozenSourceCheck';

export type { StreamSliceResult } from '../cdc/streamSlice';
export type { FrozenTableCheck } from '../validation/frozenSourceCheck';

/** Retained WAL limit when the tenant's options name none: 5 GB. */
export const DEFAULT_MAX_RETAINED_WAL_BYTES = 5 * 1024 ** 3;

/**
 * A short step (freeze, marker, sequences, slot setup, hook, ...): heartbeats while it runs, so a
 * worker killed mid-step is noticed within the steps' short heartbeat timeout (cutover keeps
 * writes blocked until the step is retried elsewhere), while a legitimately long one (a slot
 * waiting for open transactions, a foreign key validated on a big table) is not cut off.
 */
function step<T>(what: string, body: () => Promise<T>): Promise<T> {
  return classified(what, () => withHeartbeats(() => ({ step: what }), body, 3_000));
}

function urlOf(ref: DatabaseRef): string {
  return connectionUrl(serverConfig(config(), ref.server), ref.server, ref.database);
}

async function open(ref: DatabaseRef, app: string): Promise<Client> {
  const db = new Client({ connectionString: urlOf(ref), application_name: app });
  db.on('error', () => undefined);
  await db.connect();
  await db.query('SET default_transaction_read_only = off');
  return db;
}

function assertPostgresSource(t: TenantRef): void {
  const kind = serverConfig(config(), t.source.server).kind;
  if (kind !== 'postgres') {
    throw new PermanentError(FailureType.BadInput, `${tenantLabel(t)}: online migration (options.online) needs a PostgreSQL source; ` +
      `server "${t.source.server}" is ${kind} (SQL Server CDC is not built: Babelfish has no CDC)`);
  }
}

/** Before anything starts: every source table must be streamable (a key and a replica identity), and wal_level logical. */
export async function checkOnlineSource(t: TenantRef): Promise<{ tables: number }> {
  return step(`${tenantLabel(t)}: check online source`, async () => {
    assertPostgresSource(t);
    const db = await open(t.source, 'tmig-cdc-check');
    try {
      const wal = await db.query<{ wal_level: string }>('SHOW wal_level');
      if (wal.rows[0].wal_level !== 'logical') {
        throw new PermanentError(FailureType.BadInput, `${tenantLabel(t)}: source server "${t.source.server}" runs with wal_level=${wal.rows[0].wal_level}; ` +
          'online migration needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)');
      }
      const tables = await db.query<{ schema: string; name: string }>(`SELECT n.nspname AS schema, c.relname AS name FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', '_tmig') AND n.nspname NOT LIKE 'pg\\_%'`);
      const problems = await streamabilityProblems(db, tables.rows);
      if (problems.length) {
        throw new PermanentError(FailureType.BadInput, `${tenantLabel(t)}: cannot migrate online: ${problems.join('; ')}`);
      }
      return { tables: tables.rowCount ?? 0 };
    } finally {
      await db.end();
    }
  });
}

function forwardTables(model: SchemaModel): StreamTable[] {
  return model.tables.map((t) => ({
    source: { schema: t.schema, name: t.name }, target: { schema: t.targetSchema, name: t.targetName }, apply: applyTableOf(t),
  }));
}

/** Reverse: the target's tables are the source of changes, applied to the original source tables. */
function reverseTables(model: SchemaModel): StreamTable[] {
  return model.tables.map((t) => {
    const cols = t.columns.filter((c) => !c.generated);
    const nameOf = (src: string) => cols.find((c) => c.name === src)!.targetName;
    return {
      source: { schema: t.targetSchema, name: t.targetName }, target: { schema: t.schema, name: t.name },
      apply: {
        source: `${t.targetSchema}.${t.targetName}`, target: qualified(t.schema, t.name),
        columns: cols.map((c) => ({ source: c.targetName, target: quoteIdent(c.name), type: c.targetType })),
        key: (t.key ?? []).map(nameOf),
      },
    };
  });
}

/**
 * Before the first chunk is read: publication and slot on the source, the stream's start
 * position in the target. A copy that already started without them is refused (changes were lost).
 */
export async function prepareChangeCapture(t: TenantRef): Promise<{ slot: string; startLsn: string; created: boolean }> {
  return step(`${tenantLabel(t)}: prepare change capture`, async () => {
    assertPostgresSource(t);
    const model = await loadModel(t);
    const names = replicationNames(t.tenantId, 'forward');
    const src = await open(t.source, 'tmig-cdc-setup');
    const tgt = await open(t.target, 'tmig-cdc-setup');
    try {
      const problems = await streamabilityProblems(src, model.tables.map((x) => ({ schema: x.schema, name: x.name })));
      if (problems.length) throw new PermanentError(FailureType.BadInput, `${tenantLabel(t)}: cannot migrate online: ${problems.join('; ')}`);
      const existing = await readStreamPosition(tgt, names.slot);
      if (!existing) {
        const copied = await tgt.query<{ n: string }>(`SELECT coalesce(sum(rows_done), 0)::text AS n FROM _tmig.checkpoint`).catch(() => ({ rows: [{ n: '0' }] }));
        if (Number(copied.rows[0].n) > 0) {
          throw new PermanentError(FailureType.TargetConflict, `${tenantLabel(t)}: the copy into ${t.target.database} started without change capture; ` +
            'changes made since are not in any slot. Restart the tenant with options.replaceExisting');
        }
      }
      const slotExists = Boolean((await src.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount);
      if (existing && !slotExists) {
        throw new PermanentError(FailureType.TargetConflict, `${tenantLabel(t)}: the change stream of this target started at ${existing.startLsn} but its slot ${names.slot} is gone ` +
          `(dropped after a failure or cancel, or by \`tmig cdc cleanup\`); changes since are lost. Drop the target database ${t.target.database} and start the tenant again`);
      }
      await ensurePublication(src, names.publication, model.tables.map((x) => ({ schema: x.schema, name: x.name })));
      const slot = await ensureSlot(src, names.slot);
      const pos = await initStreamPosition(tgt, { stream: names.slot, tenantId: t.tenantId, direction: 'forward', startLsn: slot.startLsn });
      return { slot: names.slot, startLsn: pos.startLsn, created: slot.created };
    } finally {
      await src.end();
      await tgt.end();
    }
  });
}

export interface StreamChangesRequest {
  direction: StreamDirection;
  budgetMs: number;
  untilMarker?: string;
  /** The drain marker's LSN, as writeDrainMarker returned it. */
  markerLsn?: string;
  maxRetainedWalBytes?: number;
  maxBatchChanges?: number;
}

/** One slice of the stream (forward: source → target; reverse: target → source). */
export async function streamChanges(t: TenantRef, req: StreamChangesRequest): Promise<StreamSliceResult> {
  return classified(`${tenantLabel(t)}: stream ${req.direction} changes`, async () => {
    const model = await loadModel(t);
    const names = replicationNames(t.tenantId, req.direction);
    const forward = req.direction === 'forward';
    return runStreamSlice({
      label: tenantLabel(t), slot: names.slot, publication: names.publication,
      fromUrl: urlOf(forward ? t.source : t.target), toUrl: urlOf(forward ? t.target : t.source),
      tables: forward ? forwardTables(model) : reverseTables(model),
      budgetMs: req.budgetMs, untilMarker: req.untilMarker, markerLsn: req.markerLsn,
      maxRetainedWalBytes: req.maxRetainedWalBytes ?? DEFAULT_MAX_RETAINED_WAL_BYTES, maxBatchChanges: req.maxBatchChanges,
      onTick: (r) => {
        heartbeat({ appliedLsn: r.appliedLsn, changesApplied: r.changesApplied, lagBytes: r.lagBytes });
        throwIfCancelled();
      },
    });
    // A PostgreSQL restart while streaming must not fail the tenant (that drops its slot and the copy
    // with it): a slice is retried through a restart of minutes (1+2+4+8+16+30+30... s), not seconds.
  }, { minUnreachableAttempts: STREAM_UNREACHABLE_ATTEMPTS });
}

/** Tries of a stream slice against an unreachable server before the tenant fails (about 3 minutes). */
export const STREAM_UNREACHABLE_ATTEMPTS = 10;

export type Side = 'source' | 'target';

export interface FreezeResult {
  side: Side;
  /** Sessions ended because they could still write, by application name (no statements, no data). */
  terminatedSessions: number;
  terminatedApplications: string[];
}

export async function freezeSide(t: TenantRef, side: Side): Promise<FreezeResult> {
  return step(`${tenantLabel(t)}: freeze writes on the ${side}`, async () => {
    const ref = side === 'source' ? t.source : t.target;
    const db = await open(ref, 'tmig-cdc-freeze');
    try {
      const out = await freezeWrites(db, ref.database);
      return { side, terminatedSessions: out.terminated.length, terminatedApplications: [...new Set(out.terminated.map((s) => s.applicationName || '(unnamed)'))] };
    } finally {
      await db.end();
    }
  });
}

export async function unfreezeSide(t: TenantRef, side: Side): Promise<void> {
  return step(`${tenantLabel(t)}: unfreeze writes on the ${side}`, async () => {
    const ref = side === 'source' ? t.source : t.target;
    const db = await open(ref, 'tmig-cdc-freeze');
    try {
      await unfreezeWrites(db, ref.database);
    } finally {
      await db.end();
    }
  });
}

/** Writes a drain marker into the change log of the side that changes come from. */
export async function writeDrainMarker(t: TenantRef, direction: StreamDirection, marker: string): Promise<string> {
  return step(`${tenantLabel(t)}: drain marker`, async () => {
    const db = await open(direction === 'forward' ? t.source : t.target, 'tmig-cdc-marker');
    try {
      return await emitDrainMarker(db, marker);
    } finally {
      await db.end();
    }
  });
}

/** Sequences of the side that takes the writes, moved past the other side's. */
export async function syncStreamSequences(t: TenantRef, direction: StreamDirection): Promise<{ moved: number }> {
  return step(`${tenantLabel(t)}: sync sequences`, async () => {
    const from = await open(direction === 'forward' ? t.source : t.target, 'tmig-cdc-sequences');
    const to = await open(direction === 'forward' ? t.target : t.source, 'tmig-cdc-sequences');
    try {
      return { moved: await syncSequencesForward(from, to) };
    } finally {
      await from.end();
      await to.end();
    }
  });
}

/**
 * Foreign keys an online tenant's post-data added NOT VALID (valid in the source, not yet in
 * the target) are validated now, after the drain: the target then holds the frozen source's state.
 */
export async function validateDeferredForeignKeys(t: TenantRef): Promise<{ validated: number }> {
  return step(`${tenantLabel(t)}: validate foreign keys`, async () => {
    const src = await open(t.source, 'tmig-cdc-fk');
    const tgt = await open(t.target, 'tmig-cdc-fk');
    try {
      const valid = await src.query<{ k: string }>(`SELECT n.nspname || '.' || c.relname || '.' || k.conname AS k FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'f' AND k.convalidated`);
      const wanted = new Set(valid.rows.map((r) => r.k));
      const pending = await tgt.query<{ k: string; tbl: string; con: string }>(`SELECT n.nspname || '.' || c.relname || '.' || k.conname AS k,
        format('%I.%I', n.nspname, c.relname) AS tbl, quote_ident(k.conname) AS con FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'f' AND NOT k.convalidated`);
      let validated = 0;
      for (const p of pending.rows) {
        if (!wanted.has(p.k)) continue;
        try {
          await tgt.query(`ALTER TABLE ${p.tbl} VALIDATE CONSTRAINT ${p.con}`);
        } catch (err) {
          throw new PermanentError(FailureType.ValidationMismatch, `foreign key ${p.k} does not hold in the target after the drain: ${(err as Error).message}`);
        }
        validated++;
      }
      return { validated };
    } finally {
      await src.end();
      await tgt.end();
    }
  });
}

/** One table compared whole (rows and checksum) between the frozen source and the target. */
export async function checkFrozenTable(t: TenantRef, table: string): Promise<FrozenTableCheck> {
  return classified(`${tenantLabel(t)}: final check of ${table}`, async () => {
    const cfg = config();
    const model = await loadModel(t);
    const tm = findTable(model, table, t.tenantId);
    const engine = await openTenantSource(cfg, t.source, t.options);
    const target = openTarget(cfg, t.target);
    const db = await target.connect(`tmig-cdc-check ${t.tenantId}`);
    const timer = setInterval(() => heartbeat({ table }), 5000);
    try {
      return await checkTableAgainstFrozenSource(engine, target, db, tm, tableLabel(tm));
    } finally {
      clearInterval(timer);
      await db.end();
      await engine.close();
    }
  });
}

export async function runTenantSwitchHook(t: TenantRef, switchTo: 'target' | 'source'): Promise<{ ran: boolean; detail: string }> {
  return step(`${tenantLabel(t)}: switch hook (${switchTo})`, () => runSwitchHook(config().cutover?.switchHook, {
    tenantId: t.tenantId, switchTo, source: t.source, target: t.target,
  }));
}

/**
 * At cutover, before the target opens for writes: publication and slot on the target, the
 * reverse stream's position in the source, so every write on the target can be rolled back.
 */
export async function startReverseReplication(t: TenantRef): Promise<{ slot: string; startLsn: string }> {
  return step(`${tenantLabel(t)}: start reverse replication`, async () => {
    const model = await loadModel(t);
    const names = replicationNames(t.tenantId, 'reverse');
    const tgt = await open(t.target, 'tmig-cdc-setup');
    const src = await open(t.source, 'tmig-cdc-setup');
    try {
      const tables = model.tables.map((x) => ({ schema: x.targetSchema, name: x.targetName }));
      const problems = await streamabilityProblems(tgt, tables);
      if (problems.length) throw new PermanentError(FailureType.BadInput, `${tenantLabel(t)}: reverse replication impossible: ${problems.join('; ')}`);
      await ensurePublication(tgt, names.publication, tables);
      const slot = await ensureSlot(tgt, names.slot);
      const pos = await initStreamPosition(src, { stream: names.slot, tenantId: t.tenantId, direction: 'reverse', startLsn: slot.startLsn });
      return { slot: names.slot, startLsn: pos.startLsn };
    } finally {
      await tgt.end();
      await src.end();
    }
  });
}

/** Drops the slots and publications of the given directions (idempotent; never fails on what is already gone). */
export async function dropChangeCapture(t: TenantRef, directions: StreamDirection[]): Promise<{ dropped: string[] }> {
  return step(`${tenantLabel(t)}: drop change capture`, async () => {
    const dropped: string[] = [];
    for (const direction of directions) {
      const names = replicationNames(t.tenantId, direction);
      const home = direction === 'forward' ? t.source : t.target;
      const db = await open(home, 'tmig-cdc-drop').catch((err: { code?: string }) => {
        if (err.code === '3D000') return undefined; // the database is gone, and its slots with it
        throw err;
      });
      if (!db) continue;
      try {
        const r = await dropReplication(db, names);
        if (r.slotDropped) dropped.push(names.slot);
      } finally {
        await db.end();
      }
      if (direction === 'reverse') {
        // The reverse position lives in the source; leave no trace there beyond an empty _tmig of tmig's own.
        const src = await open(t.source, 'tmig-cdc-drop').catch(() => undefined);
        if (src) {
          try {
            await deleteStreamPosition(src, names.slot);
            const left = await src.query(`SELECT 1 FROM _tmig.stream_position LIMIT 1`).catch(() => ({ rowCount: 1 }));
            const others = await src.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_tmig' AND c.relname <> 'stream_position' AND c.relkind = 'r'`);
            if (!left.rowCount && !others.rowCount) await src.query('DROP SCHEMA IF EXISTS _tmig CASCADE');
          } finally {
            await src.end();
          }
        }
      }
    }
    return { dropped };
  });
}
