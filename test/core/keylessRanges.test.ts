/**
 * Keyless PostgreSQL tables are copied in ctid page ranges, each range one transaction with its
 * checkpoint: an interrupted copy resumes at the next range, and validation proves the whole table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { resetConfigCache } from '../../src/config/loadConfig';
import { copyTableSlice, type CopySliceResult } from '../../src/activities/copyTableSlice';
import { createSchema } from '../../src/activities/applySchema';
import { describeSource, prepareTarget } from '../../src/activities/prepareTarget';
import { planCopy } from '../../src/activities/planCopy';
import { chunkCopyOut } from '../../src/engines/postgres/chunkQuery';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

const SRC = 'tmig_keyless_src';
const DST = 'tmig_keyless_dst';

describe('keyless tables in page ranges', () => {
  let stack: Stack;
  const input: TenantMigrationInput = { tenantId: 'keyless', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST } };

  beforeAll(async () => {
    await dropDatabases(SRC, DST);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`CREATE TABLE logs (at timestamptz NOT NULL, level text, msg text);
      INSERT INTO logs SELECT timestamptz '2024-01-01' + g * interval '1 s', (ARRAY['info', 'warn'])[1 + g % 2], 'line ' || g FROM generate_series(1, 250000) g;
      INSERT INTO logs SELECT timestamptz '2024-01-01', 'dup', 'same' FROM generate_series(1, 5);
      ANALYZE logs`));
    stack = await startStack();
    process.env.MIGRATOR_CONFIG = stack.configPath;
    resetConfigCache();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(SRC, DST);
    delete process.env.MIGRATOR_CONFIG;
    resetConfigCache();
  });

  it('a target-side read of a bounded keyless range is refused (target rows sit on other pages)', () => {
    expect(() => chunkCopyOut({ schema: 'public', name: 'logs', columns: ['at'], key: null, keyTypes: [] }, { range: { lo: '0', hi: '10' }, after: null, limit: null }))
      .toThrow(/has no key: a bounded range is a source page range/);
    expect(chunkCopyOut({ schema: 'public', name: 'logs', columns: ['at'], key: null, keyTypes: [], ctidRanges: true }, { range: { lo: '10', hi: null }, after: null, limit: null }))
      .toBe(`COPY (SELECT "at" FROM ONLY "public"."logs" WHERE ctid >= '(10,0)'::tid) TO STDOUT`);
  });

  it('copies range by range; a run interrupted after two ranges resumes at the third and validates exact', async () => {
    const ref = { tenantId: input.tenantId, source: input.source, target: input.target };
    await prepareTarget(ref);
    await describeSource(ref);
    await createSchema(ref);
    const items = await planCopy(ref, { splitRowsThreshold: 250_000, rangesPerTable: 4 });
    expect(items.map((i) => i.rangeId)).toEqual([0, 1, 2, 3]);
    // The first attempt copies two ranges, then "crashes".
    for (const rangeId of [0, 1]) {
      const r = await new MockActivityEnvironment().run(copyTableSlice, ref, { table: 'public.logs', rangeId, chunkRows: 50_000, budgetMs: 60_000 }) as CopySliceResult;
      expect(r.done).toBe(true);
    }
    const before = await withDb(DST, (db) => db.query(`SELECT range_id, rows::int, committed_at::text FROM _tmig.chunk ORDER BY range_id`));
    expect(before.rows.map((r) => r.range_id)).toEqual([0, 1]);

    const result = await stack.env.client.workflow.execute('tenantMigration', { taskQueue: 'migrations', workflowId: 'keyless-1', args: [input] }) as TenantMigrationResult;
    expect(result.ok).toBe(true);
    expect(result.validation?.ok).toBe(true);
    const logs = result.tables.find((t) => t.table === 'public.logs')!;
    expect(logs).toMatchObject({ sourceRows: 250_005, targetRows: 250_005, ranges: 4, checksumOk: true });
    expect(await tableDigests(DST)).toEqual(await tableDigests(SRC));
    const after = await withDb(DST, (db) => db.query(`SELECT range_id, rows::int, committed_at::text FROM _tmig.chunk ORDER BY range_id`));
    // The two committed ranges were not copied again; the rows of all four add up to the table.
    expect(after.rows.slice(0, 2)).toEqual(before.rows);
    expect(after.rows.map((r) => r.range_id)).toEqual([0, 1, 2, 3]);
    expect(after.rows.reduce((s, r) => s + r.rows, 0)).toBe(250_005);
  }, 180_000);

  it('re-reads source page ranges as a sample (first and last always), every range with recheckSource', async () => {
    const rereads = async (extra: object) => {
      const r = await stack.env.client.workflow.execute('validateMigration', { taskQueue: 'migrations', workflowId: `keyless-src-${Object.keys(extra).join('-') || 'sample'}`,
        args: [{ source: input.source, target: input.target, mode: 'full', sampleRate: 0, ...extra }] }) as { validation: { ok: boolean; tables: { table: string; sourceChunksReread?: number }[] } };
      expect(r.validation.ok).toBe(true);
      return r.validation.tables.find((t) => t.table === 'public.logs')!.sourceChunksReread;
    };
    expect(await rereads({})).toBe(2);
    expect(await rereads({ recheckSource: true })).toBe(4);
  }, 120_000);

  it('validation finds a changed row in the target of a keyless table', async () => {
    await withDb(DST, (db) => db.query(`UPDATE logs SET msg = 'changed' WHERE msg = 'line 12345'`));
    const r = await stack.env.client.workflow.execute('validateMigration', { taskQueue: 'migrations', workflowId: 'keyless-val',
      args: [{ source: input.source, target: input.target, mode: 'sample', sampleRate: 0 }] }) as { validation: { ok: boolean; findings: { ok: boolean; message: string }[] } };
    expect(r.validation.ok).toBe(false);
    expect(r.validation.findings.filter((f) => !f.ok).map((f) => f.message).join('\n')).toMatch(/public\.logs: target rows differ from the rows copied in 4 page ranges/);
  }, 120_000);
});
