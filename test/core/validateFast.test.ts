import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import type { ValidateMigrationResult } from '../../src/workflows/validateMigration';

const SRC = 'tmig_vfast_src';
const DST = 'tmig_vfast_dst';
/** The same target as an older tmig left it: chunk records without target checksum and transaction id. */
const OLD = 'tmig_vfast_old';
/** Copied with copyReadBack: false. */
const NORB = 'tmig_vfast_norb';

/**
 * Validation without a second pass: each chunk's target checksum is read back in the transaction
 * that wrote it, and an xmin census proves the rows unchanged since. Tampering after the copy must
 * still be caught, in the fast mode and with the cold recheck.
 */
describe('fast validation (copy-time read-back + xmin census)', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const validate = (target: string, opts: { mode?: 'full' | 'sample'; recheck?: boolean } = {}) => env.client.workflow.execute('validateMigration', {
    taskQueue: 'migrations', workflowId: `vfast-${target}-${opts.mode ?? 'full'}-${opts.recheck ? 'cold' : 'fast'}-${Date.now()}`,
    args: [{ source: { server: 'local', database: SRC }, target: { server: 'target', database: target }, mode: opts.mode ?? 'full', sampleRate: 0, recheck: opts.recheck }],
  }) as Promise<ValidateMigrationResult>;
  const failures = (r: ValidateMigrationResult) => r.validation.findings.filter((f) => !f.ok).map((f) => f.message).join('\n');
  const total = (r: ValidateMigrationResult, f: (t: ValidateMigrationResult['validation']['tables'][number]) => number | undefined) =>
    r.validation.tables.reduce((s, t) => s + (f(t) ?? 0), 0);

  beforeAll(async () => {
    await dropDatabases(SRC, DST, OLD, NORB);
    await createSampleTenant(PG_ADMIN_URL, SRC, 1200);
    stack = await startStack();
    ({ env } = stack);
    await env.client.workflow.execute('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-vfast',
      args: [{ tenantId: 'vfast', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST }, options: { chunkRows: 100, copyReadBack: true } }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(SRC, DST, OLD, NORB);
  });

  it('records both checksums and the writing transaction in every chunk; validates untouched without re-reading the target', async () => {
    const chunks = await withDb(DST, (db) => db.query<{ same: boolean; xact: string | null }>(
      'SELECT target_checksum = checksum AS same, xact::text AS xact FROM _tmig.chunk'));
    expect(chunks.rowCount).toBeGreaterThan(10);
    expect(chunks.rows.every((c) => c.same === true && c.xact !== null)).toBe(true);

    const fast = await validate(DST);
    expect(failures(fast)).toBe('');
    expect(total(fast, (t) => t.chunksVerified)).toBe(chunks.rowCount);
    expect(total(fast, (t) => t.targetChunksReread)).toBe(0);
    const cold = await validate(DST, { recheck: true });
    expect(failures(cold)).toBe('');
    expect(total(cold, (t) => t.targetChunksReread)).toBe(chunks.rowCount);
  });

  it('validates a target whose chunk records predate the read-back (older version): cold, chunk by chunk', async () => {
    await withDb('postgres', async (db) => {
      await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DST]);
      await db.query(`CREATE DATABASE ${OLD} TEMPLATE ${DST}`);
    });
    await withDb(OLD, (db) => db.query('ALTER TABLE _tmig.chunk DROP COLUMN target_checksum, DROP COLUMN xact'));
    const r = await validate(OLD);
    expect(failures(r)).toBe('');
    expect(total(r, (t) => t.targetChunksReread)).toBe(total(r, (t) => t.chunks));
    await withDb(OLD, (db) => db.query(`UPDATE rooms SET kind = kind || '!' WHERE (hotel_code, room_no) = (SELECT hotel_code, room_no FROM rooms ORDER BY 1, 2 LIMIT 1)`));
    expect(failures(await validate(OLD))).toMatch(/public\.rooms: range 0 chunk 1: target rows differ/);
  });

  it('with copyReadBack off no target checksum is recorded and validation re-reads every chunk cold', async () => {
    await env.client.workflow.execute('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-vfast-norb',
      args: [{ tenantId: 'vfast-norb', source: { server: 'local', database: SRC }, target: { server: 'target', database: NORB }, options: { chunkRows: 100, copyReadBack: false } }],
    });
    const recorded = await withDb(NORB, (db) => db.query<{ n: number; with: number }>('SELECT count(*)::int AS n, count(target_checksum)::int AS with FROM _tmig.chunk'));
    expect(recorded.rows[0]).toEqual({ n: expect.any(Number), with: 0 });
    const r = await validate(NORB);
    expect(failures(r)).toBe('');
    expect(total(r, (t) => t.targetChunksReread)).toBe(recorded.rows[0].n);
  });

  it('a value updated to itself changes xmin but not the data: the census falls back to a cold re-read, which passes', async () => {
    // audit_log has no key: copied whole, checked as a multiset.
    const updated = await withDb(DST, (db) => db.query(`UPDATE audit_log SET actor = actor WHERE ctid IN (SELECT ctid FROM audit_log LIMIT 3)`));
    expect(updated.rowCount).toBe(3);
    const r = await validate(DST);
    expect(failures(r)).toBe('');
    const log = r.validation.tables.find((t) => t.table === 'public.audit_log')!;
    expect(log.targetChunksReread).toBe(1);
    expect(total(r, (t) => t.targetChunksReread)).toBe(1);
  });

  it('catches a changed value, a deleted row, an added row and a dropped index, fast and with the cold recheck', async () => {
    await withDb(DST, async (db) => {
      await db.query(`UPDATE bookings SET amount = amount + 0.0001 WHERE id = (SELECT id FROM bookings ORDER BY id LIMIT 1)`);
      await db.query(`DELETE FROM "Staff Members" WHERE "Id" = 7`);
      await db.query(`INSERT INTO rooms VALUES ('AAA', 1, 'broom cupboard', 1)`);
      await db.query(`DROP INDEX bookings_guest_idx`);
    });
    for (const opts of [{}, { recheck: true }, { mode: 'sample' as const }, { mode: 'sample' as const, recheck: true }]) {
      const r = await validate(DST, opts);
      expect(r.validation.ok).toBe(false);
      const msgs = failures(r);
      expect(msgs).toMatch(/public\.bookings: range 0 chunk 1: target rows differ/);
      expect(msgs).toMatch(/public\.Staff Members: row count: source 25, target 24/);
      expect(msgs).toMatch(/public\.rooms: row count: source 120, target 121/);
      expect(msgs).toMatch(/bookings_guest_idx/);
      // Untouched tables stay on the fast path; tampered ones are re-read cold to name the chunk.
      if (!opts.recheck) expect(r.validation.tables.find((t) => t.table === 'public.invoices_2024')?.targetChunksReread ?? 0).toBe(0);
    }
  });
});
