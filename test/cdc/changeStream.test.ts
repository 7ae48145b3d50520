/**
 * The CDC library on a real PostgreSQL (wal_level=logical): slot and publication before the
 * copy, a copy read while a writer runs, streaming with keyed apply and the position in the
 * same target transaction, exactly-once across a lost confirmation, DDL and keyless refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { dbUrl, dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { ChangeWriter, WRITER_SCHEMA, seedWriterTables } from '../../src/demo/changeWriter';
import { replicationNames } from '../../src/cdc/replicationNames';
import { dropReplication, ensurePublication, ensureSlot, listSlots, streamabilityProblems } from '../../src/cdc/replicationSetup';
import { initStreamPosition, readStreamPosition } from '../../src/engines/postgres/checkpointStore';
import { applyBatch, type ApplyTable } from '../../src/cdc/batchApply';
import { PgChangeStream } from '../../src/cdc/pgChangeStream';
import type { ExpectedTable } from '../../src/cdc/pgoutputDecoding';
import { emitDrainMarker, measureSlot } from '../../src/cdc/slotLag';
import { freezeWrites, unfreezeWrites } from '../../src/cdc/writeFreeze';
import { schemaDrift } from '../../src/cdc/schemaDrift';

const SRC = 'tmig_cdc_lib_src';
const TGT = 'tmig_cdc_lib_tgt';
const names = replicationNames('lib-tenant', 'forward');

const tables: ApplyTable[] = [
  { source: 'public.items', target: '"public"."items"', key: ['id'], columns: [
    { source: 'id', target: '"id"', type: 'bigint' }, { source: 'grp', target: '"grp"', type: 'integer' },
    { source: 'qty', target: '"qty"', type: 'numeric(12,3)' }, { source: 'note', target: '"note"', type: 'text' },
    { source: 'big', target: '"big"', type: 'text' }, { source: 'at', target: '"at"', type: 'timestamp with time zone' }] },
  { source: 'public.events', target: '"public"."events"', key: ['tenant', 'seq'], columns: [
    { source: 'tenant', target: '"tenant"', type: 'integer' }, { source: 'seq', target: '"seq"', type: 'integer' },
    { source: 'kind', target: '"kind"', type: 'text' }, { source: 'payload', target: '"payload"', type: 'jsonb' }] },
  { source: 'public.notes', target: '"public"."notes"', key: ['id'], columns: [
    { source: 'id', target: '"id"', type: 'bigint' }, { source: 'body', target: '"body"', type: 'text' }] },
];
const expected: ExpectedTable[] = tables.map((t) => ({ source: t.source, columns: t.columns.map((c) => c.source), key: t.key }));
const byName = new Map(tables.map((t) => [t.source, t]));

async function connect(db: string): Promise<Client> {
  const c = new Client({ connectionString: dbUrl(db), application_name: 'tmig-test' });
  await c.connect();
  return c;
}

/** Copies a table in key-ordered chunks, each read at a different moment (as the chunked copy does). */
async function chunkedCopy(src: Client, tgt: Client, table: string, key: string, chunk: number): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const r: { rows: { k: string; j: unknown }[] } = await src.query(
      `SELECT ${key}::text AS k, to_jsonb(t) AS j FROM ${table} t WHERE $1::text IS NULL OR ${key} > $1::bigint ORDER BY ${key} LIMIT ${chunk}`, [after]);
    if (!r.rows.length) return;
    await tgt.query(`INSERT INTO ${table} SELECT (jsonb_populate_record(NULL::${table}, j)).* FROM unnest($1::jsonb[]) j`, [r.rows.map((x) => JSON.stringify(x.j))]);
    after = r.rows[r.rows.length - 1].k;
    await new Promise((res) => setTimeout(res, 100));
  }
}

function streamOf(fromLsn: string, tgt: Client, apply?: (b: Parameters<typeof applyBatch>[3]) => ReturnType<typeof applyBatch>) {
  return new PgChangeStream({
    connection: { connectionString: dbUrl(SRC), application_name: 'tmig-test-stream' },
    slot: names.slot, publication: names.publication, tables: expected, fromLsn, label: 'tenant lib-tenant',
    maxBatchChanges: 200, maxBatchMs: 200,
    apply: apply ?? ((batch) => applyBatch(tgt, names.slot, byName, batch)),
  });
}

async function drain(src: Client, stream: PgChangeStream, marker: string): Promise<void> {
  await emitDrainMarker(src, marker);
  const deadline = Date.now() + 60_000;
  while (!stream.stats.markers.includes(marker)) {
    if (stream.failed) throw stream.failed;
    if (Date.now() > deadline) throw new Error(`marker ${marker} not applied in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('change capture library', () => {
  let src: Client;
  let tgt: Client;

  beforeAll(async () => {
    await withDb('postgres', async (db) => {
      for (const s of await listSlots(db)) if (s.slot === names.slot) await db.query('SELECT pg_drop_replication_slot($1)', [s.slot]);
    });
    await dropDatabases(SRC, TGT);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`).then(() => db.query(`CREATE DATABASE ${TGT}`)));
    src = await connect(SRC);
    tgt = await connect(TGT);
    await seedWriterTables(src, 2000);
    await tgt.query(WRITER_SCHEMA);
  });

  afterAll(async () => {
    await dropReplication(src, names).catch(() => undefined);
    await src?.end();
    await tgt?.end();
    await dropDatabases(SRC, TGT);
  });

  it('refuses a table without a key or replica identity, saying how to fix it', async () => {
    await src.query('CREATE TABLE IF NOT EXISTS keyless (a int, b text)');
    const problems = await streamabilityProblems(src, [{ schema: 'public', name: 'keyless' }, { schema: 'public', name: 'items' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/public\.keyless has no primary key/);
    expect(problems[0]).toMatch(/REPLICA IDENTITY/);
    await src.query('DROP TABLE keyless');
  });

  it('converges a copy taken under writes with the stream, exactly once across a lost confirmation', async () => {
    await ensurePublication(src, names.publication, [{ schema: 'public', name: 'items' }, { schema: 'public', name: 'events' }, { schema: 'public', name: 'notes' }]);
    const slot = await ensureSlot(src, names.slot);
    expect(slot.created).toBe(true);
    expect((await ensureSlot(src, names.slot)).created).toBe(false); // idempotent
    await initStreamPosition(tgt, { stream: names.slot, tenantId: 'lib-tenant', direction: 'forward', startLsn: slot.startLsn });

    const writer = new ChangeWriter(dbUrl(SRC), 150);
    writer.start();
    await chunkedCopy(src, tgt, 'items', 'id', 500);
    await chunkedCopy(src, tgt, 'events', 'seq', 500);
    await chunkedCopy(src, tgt, 'notes', 'id', 500);

    // First session: the third batch commits in the target but the session dies before confirming it.
    let batches = 0;
    const first = streamOf(slot.startLsn, tgt, async (batch) => {
      const out = await applyBatch(tgt, names.slot, byName, batch);
      if (++batches === 3) throw new Error('worker died after commit, before confirming');
      return out;
    });
    await first.start();
    await expect(first.failure()).rejects.toThrow(/before confirming/);
    await first.stop();
    const afterCrash = (await readStreamPosition(tgt, names.slot))!;
    const slotAfterCrash = await measureSlot(src, names.slot);
    // The slot was not told about the third batch: the server sends it again, the position skips it.
    expect(afterCrash.transactions).toBeGreaterThan(0);

    const second = streamOf(afterCrash.lsn, tgt);
    const t0 = Date.now();
    await second.start();
    await new Promise((r) => setTimeout(r, 3000));
    const ops = await writer.stop();
    expect(ops.ops).toBeGreaterThan(200);
    expect(writer.errorMessages).toEqual([]);
    await drain(src, second, 'drain-1');
    console.log(`caught up and drained in ${Date.now() - t0} ms: ${JSON.stringify(second.stats)}`);
    const lag = await measureSlot(src, names.slot);
    await second.stop();

    expect(await tableDigests(TGT)).toEqual(await tableDigests(SRC));
    const pos = (await readStreamPosition(tgt, names.slot))!;
    expect(pos.transactions).toBeGreaterThanOrEqual(ops.ops); // every writer transaction applied once (+ the marker's)
    expect(pos.transactions).toBeLessThanOrEqual(ops.ops + 1);
    expect(lag.retainedWalBytes).toBeGreaterThan(0);
    expect(slotAfterCrash.confirmedLsn).not.toBeNull();
  });

  it('freezes writers (ending their sessions, saying which) and unfreezes', async () => {
    const app = new Client({ connectionString: dbUrl(SRC), application_name: 'app-writer' });
    app.on('error', () => undefined);
    await app.connect();
    const frozen = await freezeWrites(src, SRC);
    expect(frozen.terminated.map((t) => t.applicationName)).toContain('app-writer');
    const late = await connect(SRC);
    await expect(late.query(`INSERT INTO events VALUES (1, -1, 'x', '{}')`)).rejects.toThrow(/read-only/);
    await late.end();
    await unfreezeWrites(src, SRC);
    const after = await connect(SRC);
    await after.query(`INSERT INTO events VALUES (1, -1, 'x', '{}')`);
    await after.end();
    await app.end().catch(() => undefined);
  });

  it('fails clearly, naming the table, on DDL during streaming', async () => {
    const pos = (await readStreamPosition(tgt, names.slot))!;
    const stream = streamOf(pos.lsn, tgt);
    await stream.start();
    await src.query('ALTER TABLE events ADD COLUMN extra int');
    expect(await schemaDrift(src, tgt, [{ source: { schema: 'public', name: 'events' }, target: { schema: 'public', name: 'events' } }]))
      .toEqual([expect.stringMatching(/public\.events: source now has extra integer/)]);
    await src.query(`INSERT INTO events VALUES (2, -2, 'after ddl', '{}', 5)`);
    await expect(stream.failure()).rejects.toThrow(/DDL during streaming on table public\.events: column\(s\) added or renamed: extra/);
    await stream.stop();
    // Nothing of the failed transaction was applied or confirmed.
    expect((await tgt.query('SELECT 1 FROM events WHERE seq = -2')).rowCount).toBe(0);
  });

  it('drops the slot and the publication, leaving none', async () => {
    await dropReplication(src, names);
    expect((await listSlots(src)).filter((s) => s.slot === names.slot)).toEqual([]);
    expect((await src.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication])).rowCount).toBe(0);
  });
});
