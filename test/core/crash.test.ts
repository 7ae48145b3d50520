import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

const SRC = 'tmig_crash_src';
const DST = 'tmig_crash_dst';
const ROWS = 600_000;

describe('crash test: worker SIGKILLed mid-table', () => {
  let env: TestWorkflowEnvironment;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    await dropDatabases(SRC, DST);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`
      CREATE TABLE ledger (id bigint PRIMARY KEY, account text NOT NULL, amount numeric(18,4), booked_at timestamptz, memo text);
      INSERT INTO ledger SELECT g, 'acct-' || (g % 977), round((g * 7.123) % 100000, 4),
        timestamptz '2015-01-01 00:00:00+00' + g * interval '13 seconds',
        CASE WHEN g % 9 = 0 THEN NULL WHEN g % 9 = 1 THEN '' ELSE E'line\\t' || g END
      FROM generate_series(1, ${ROWS}) g;
      ANALYZE ledger;`));
    env = await startTemporal();
  });

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await env?.teardown();
    await dropDatabases(SRC, DST);
  });

  it('resumes from the stored checkpoint and ends equal to the source, no row lost or duplicated', async () => {
    const config = writeTestConfig();
    workers.push(await startWorker(env.address, config));
    const input: TenantMigrationInput = {
      tenantId: 'crash', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST },
      options: { chunkRows: 10_000, tableConcurrency: 1, copyReadBack: true },
    };
    const handle = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-crash', args: [input] });

    // Wait until the copy is well under way, then kill the worker without warning.
    let rowsAtKill = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      rowsAtKill = await withDb(DST, (db) => db.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`))
        .then((r) => r.rows[0].n).catch(() => 0);
      if (rowsAtKill >= 100_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rowsAtKill).toBeGreaterThanOrEqual(100_000);
    expect(rowsAtKill).toBeLessThan(ROWS);
    await workers[0].stop('SIGKILL');
    const committedAfterKill = await withDb(DST, (db) => db.query<{ range_id: number; n: number; chunks: number; done: boolean }>(
      `SELECT range_id, rows_done::int AS n, chunks, done FROM _tmig.checkpoint ORDER BY range_id`)).then((r) => r.rows);
    expect(committedAfterKill.length).toBeGreaterThan(1); // 600k rows are split into parallel key ranges

    workers.push(await startWorker(env.address, config));
    const result: TenantMigrationResult = await handle.result();
    expect(result.ok).toBe(true);
    // The report says where the retried attempts resumed: the rows each range had committed at the kill.
    const resumedRanges = committedAfterKill.filter((c) => c.chunks > 0 && !c.done);
    expect(result.tables.find((t) => t.table === 'public.ledger')!.resumedFromRows)
      .toBe(resumedRanges.reduce((s, c) => s + c.n, 0));

    const [src, dst] = await Promise.all([tableDigests(SRC), tableDigests(DST)]);
    expect(dst['public.ledger']).toEqual({ rows: ROWS, digest: src['public.ledger'].digest });
    await withDb(DST, async (db) => {
      const dup = await db.query(`SELECT count(*)::int AS n FROM (SELECT id FROM ledger GROUP BY id HAVING count(*) > 1) d`);
      expect(dup.rows[0].n).toBe(0);
      const chunks = await db.query<{ range_id: number; chunk_no: number; rows: string; attempt: number; both: boolean; xact: string | null; kind: string }>(
        `SELECT range_id, chunk_no, rows::text, attempt, target_checksum = checksum AS both, xact::text AS xact, checksum_kind AS kind
         FROM _tmig.chunk WHERE table_name = 'public.ledger' ORDER BY range_id, chunk_no`);
      expect(chunks.rows.reduce((s, c) => s + Number(c.rows), 0)).toBe(ROWS);
      // Built-in types on both sides: every chunk travelled (and resumed after the kill) as binary COPY.
      expect(new Set(chunks.rows.map((c) => c.kind))).toEqual(new Set(['ordered-sha256-binary']));
      // Every committed chunk carries both checksums (read back in its own transaction) and its transaction id,
      // so validation proved it without re-reading the target (the xmin census counted each chunk's rows once).
      expect(chunks.rows.every((c) => c.both === true && c.xact !== null)).toBe(true);
      expect(result.validation?.tables.find((t) => t.table === 'public.ledger')?.targetChunksReread).toBe(0);
      let retriedRanges = 0;
      for (const cp of committedAfterKill) {
        const own = chunks.rows.filter((c) => c.range_id === cp.range_id);
        // Contiguous chunk numbers in every range.
        expect(own.map((c) => c.chunk_no)).toEqual(own.map((_, i) => i + 1));
        // A range the killed attempt had started resumes after its last commit, not at zero.
        const firstRetried = own.find((c) => c.attempt > 1);
        if (cp.chunks > 0 && firstRetried) {
          expect(firstRetried.chunk_no).toBe(cp.chunks + 1);
          retriedRanges++;
        }
      }
      expect(retriedRanges).toBeGreaterThanOrEqual(1);
      expect(committedAfterKill.reduce((s, c) => s + c.n, 0)).toBeGreaterThanOrEqual(rowsAtKill);
    });
    console.log(`crash test: killed at ${rowsAtKill} committed rows; ranges resumed at chunks ${committedAfterKill.map((c) => c.chunks + 1).join(', ')}`);
  });
});
