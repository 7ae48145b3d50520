/**
 * PostgreSQL publication and logical slot (pgoutput) of one stream: refuse tables that cannot
 * be streamed, create both idempotently, list and drop them. Never touches a slot or publication
 * whose name does not start with `tmig_`.
 */
import type { Client } from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../engines/postgres/quoting';
import { FailureType, PermanentError } from '../contract/failures';
import { isTmigName, type ReplicationNames } from './replicationNames';

export interface StreamedTable {
  schema: string;
  name: string;
}

export interface SlotInfo {
  slot: string;
  database: string;
  active: boolean;
  activePid: number | null;
  confirmedFlushLsn: string | null;
  restartLsn: string | null;
  /** WAL the slot holds on the server's disk. */
  retainedBytes: number;
}

/**
 * Every streamed table needs a key the target can apply by and a replica identity the source
 * logs updates and deletes with. Returns one message per table that has neither, with the fix.
 */
export async function streamabilityProblems(db: Client, tables: StreamedTable[]): Promise<string[]> {
  if (!tables.length) return [];
  const r = await db.query<{ schema: string; name: string; ident: string; has_pk: boolean; ident_index: boolean }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relreplident AS ident,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS ident_index
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
  [tables.map((t) => t.schema), tables.map((t) => t.name)]);
  const problems: string[] = [];
  for (const t of r.rows) {
    const label = `${t.schema}.${t.name}`;
    const fix = `add a primary key (ALTER TABLE ${qualified(t.schema, t.name)} ADD PRIMARY KEY (...)) or, with a unique not-null key, ` +
      `ALTER TABLE ${qualified(t.schema, t.name)} REPLICA IDENTITY USING INDEX <that unique index> (or REPLICA IDENTITY FULL)`;
    if (t.ident === 'n') problems.push(`table ${label} has REPLICA IDENTITY NOTHING: updates and deletes cannot be streamed; ${fix}`);
    else if (t.ident === 'd' && !t.has_pk) problems.push(`table ${label} has no primary key and no replica identity: updates and deletes cannot be streamed; ${fix}`);
    else if (t.ident === 'i' && !t.ident_index) problems.push(`table ${label}: its replica identity index is gone; ${fix}`);
  }
  return problems;
}

/** Creates the publication for exactly these tables, or sets its table list when it exists. */
export async function ensurePublication(db: Client, publication: string, tables: StreamedTable[]): Promise<void> {
  assertTmigName(publication);
  const list = tables.map((t) => qualified(t.schema, t.name)).join(', ');
  const exists = await db.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (!tables.length) throw new PermanentError(FailureType.BadInput, `publication ${publication}: no tables to stream`);
  if (exists.rowCount) await db.query(`ALTER PUBLICATION ${quoteIdent(publication)} SET TABLE ${list}`);
  else {
    try {
      await db.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${list} WITH (publish = 'insert, update, delete, truncate')`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42710') throw err; // a concurrent attempt created it
    }
  }
}

/**
 * Creates the logical slot when missing and returns the position changes are captured from.
 * Creation waits for transactions running at that moment to end (PostgreSQL builds the slot's
 * snapshot), so it returns only once every later commit is in the slot.
 */
export async function ensureSlot(db: Client, slot: string): Promise<{ created: boolean; startLsn: string }> {
  assertTmigName(slot);
  const existing = await db.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  if (existing.rowCount) return { created: false, startLsn: existing.rows[0].lsn ?? '0/0' };
  const wal = await db.query<{ wal_level: string }>('SHOW wal_level');
  if (wal.rows[0].wal_level !== 'logical') {
    throw new PermanentError(FailureType.BadInput,
      `the source server runs with wal_level=${wal.rows[0].wal_level}; online migration needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart the server)`);
  }
  try {
    const r = await db.query<{ lsn: string }>(`SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    return { created: true, startLsn: r.rows[0].lsn };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42710') return ensureSlot(db, slot);
    if (code === '53400') {
      throw new PermanentError(FailureType.BadInput, `cannot create replication slot ${slot}: ${(err as Error).message} (raise max_replication_slots, or run \`tmig cdc cleanup\`)`);
    }
    throw err;
  }
}

export async function slotInfo(db: Client, slot: string): Promise<SlotInfo | undefined> {
  return (await listSlots(db, slot))[0];
}

/** tmig slots on this server (all databases), with the WAL each holds. */
export async function listSlots(db: Client, only?: string): Promise<SlotInfo[]> {
  const r = await db.query<{ slot: string; database: string; active: boolean; pid: number | null; confirmed: string | null; restart: string | null; retained: string | null }>(`
    SELECT slot_name AS slot, database, active, active_pid AS pid, confirmed_flush_lsn::text AS confirmed, restart_lsn::text AS restart,
           pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
    FROM pg_replication_slots WHERE slot_type = 'logical' AND slot_name LIKE 'tmig\\_%' AND ($1::text IS NULL OR slot_name = $1)
    ORDER BY slot_name`, [only ?? null]);
  return r.rows.map((s) => ({
    slot: s.slot, database: s.database, active: s.active, activePid: s.pid, confirmedFlushLsn: s.confirmed,
    restartLsn: s.restart, retainedBytes: Number(s.retained ?? 0),
  }));
}

/** tmig publications of the connected database. */
export async function listPublications(db: Client): Promise<string[]> {
  const r = await db.query<{ pubname: string }>(`SELECT pubname FROM pg_publication WHERE pubname LIKE 'tmig\\_%' ORDER BY 1`);
  return r.rows.map((p) => p.pubname);
}

/**
 * Drops the slot (ending the walsender that holds it, which may be a dead worker's) and the
 * publication. Idempotent. The slot can be dropped from any database of its server; the
 * publication only from its own, so `db` must be connected to the stream's database.
 */
export async function dropReplication(db: Client, names: ReplicationNames): Promise<{ slotDropped: boolean; publicationDropped: boolean }> {
  assertTmigName(names.slot);
  assertTmigName(names.publication);
  let slotDropped = false;
  for (let attempt = 0; attempt < 10; attempt++) {
    const s = await slotInfo(db, names.slot);
    if (!s) break;
    if (s.active && s.activePid) await db.query('SELECT pg_terminate_backend($1)', [s.activePid]);
    try {
      await db.query('SELECT pg_drop_replication_slot($1)', [names.slot]);
      slotDropped = true;
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '42704') break; // dropped concurrently
      if (code !== '55006') throw err; // 55006: still active (the walsender is exiting)
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const pub = await db.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication)}`).then(() => true);
  return { slotDropped, publicationDropped: pub };
}

function assertTmigName(name: string): void {
  if (!isTmigName(name) || !/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`refusing to manage ${quoteLiteral(name)}: not a tmig replication name`);
}
