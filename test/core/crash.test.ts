import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/workflows/types';

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
      options: { chunkRows: 10_000, tableConcurrency: 1 },
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
    const committedAfterKill = await withDb(DST, (db) => db.query(`SELECT rows_done::int AS n, chunks FROM _tmig.checkpoint`)).then((r) => r.rows[0]);

    workers.push(await startWorker(env.address, config));
    const result: TenantMigrationResult = await handle.result();
    expect(result.ok).toBe(true);

    const [src, dst] = await Promise.all([tableDigests(SRC), tableDigests(DST)]);
    expect(dst['public.ledger']).toEqual({ rows: ROWS, digest: src['public.ledger'].digest });
    await withDb(DST, async (db) => {
      const dup = await db.query(`SELECT count(*)::int AS n FROM (SELECT id FROM ledger GROUP BY id HAVING count(*) > 1) d`);
      expect(dup.rows[0].n).toBe(0);
      const chunks = await db.query<{ chunk_no: number; rows: string; attempt: number }>(
        `SELECT chunk_no, rows::text, attempt FROM _tmig.chunk WHERE table_name = 'public.ledger' ORDER BY chunk_no`);
      // Contiguous chunk numbers adding up to exactly the source rows.
      expect(chunks.rows.map((c) => c.chunk_no)).toEqual(chunks.rows.map((_, i) => i + 1));
      expect(chunks.rows.reduce((s, c) => s + Number(c.rows), 0)).toBe(ROWS);
      // The retry (attempt > 1) started where the killed attempt's last commit left off, not at zero.
      const firstRetried = chunks.rows.find((c) => c.attempt > 1);
      expect(firstRetried).toBeDefined();
      expect(firstRetried!.chunk_no).toBe(committedAfterKill.chunks + 1);
      expect(committedAfterKill.n).toBeGreaterThanOrEqual(rowsAtKill);
    });
    console.log(`crash test: killed at ${rowsAtKill} committed rows; resumed at chunk ${committedAfterKill.chunks + 1}`);
  });
});
