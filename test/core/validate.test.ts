import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import type { ValidateMigrationResult } from '../../src/workflows/validateMigration';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');
const SRC = 'tmig_val_src';
const DST = 'tmig_val_dst';

/** Standalone validation (`tmig validate`) after someone touched the target. */
describe('validation of an altered target', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const validate = (mode: 'full' | 'sample', recheckSource = false, reportKeys = false, recheck = false) => env.client.workflow.execute('validateMigration', {
    taskQueue: 'migrations', workflowId: `validate-${mode}-${Date.now()}`,
    args: [{ source: { server: 'local', database: SRC }, target: { server: 'target', database: DST }, mode, sampleRate: 0, recheckSource, reportKeys, recheck }],
  }) as Promise<ValidateMigrationResult>;
  const failures = (r: ValidateMigrationResult) => r.validation.findings.filter((f) => !f.ok).map((f) => f.message);

  beforeAll(async () => {
    await dropDatabases(SRC, DST);
    await createSampleTenant(PG_ADMIN_URL, SRC, 1200);
    stack = await startStack();
    ({ env } = stack);
    await env.client.workflow.execute('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-val',
      args: [{ tenantId: 'val', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST }, options: { chunkRows: 100, copyReadBack: true } }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(SRC, DST);
  });

  it('passes on an untouched target, in both modes, and through the CLI', async () => {
    for (const mode of ['full', 'sample'] as const) {
      const r = await validate(mode);
      expect(failures(r)).toEqual([]);
      expect(r.validation.ok).toBe(true);
    }
    // With recheck, full mode re-reads every chunk cold from the target, sample mode a share; from the source
    // only a sample (first and last chunk of each range here) unless asked to re-read it all.
    const full = await validate('full', false, false, true);
    const sample = await validate('sample', false, false, true);
    const reread = (r: ValidateMigrationResult) => r.validation.tables.reduce((s, t) => s + t.chunksVerified, 0);
    const cold = (r: ValidateMigrationResult) => r.validation.tables.reduce((s, t) => s + (t.targetChunksReread ?? 0), 0);
    expect(reread(sample)).toBeLessThan(reread(full));
    const chunks = full.validation.tables.reduce((s, t) => s + t.chunks, 0);
    expect(cold(full)).toBe(chunks);
    // Without recheck every chunk is verified from the checksum read back when it was written (no cold re-read).
    const fast = await validate('full');
    expect(reread(fast)).toBe(chunks);
    expect(cold(fast)).toBe(0);
    const fromSource = (r: ValidateMigrationResult) => r.validation.tables.reduce((s, t) => s + (t.sourceChunksReread ?? 0), 0);
    expect(reread(full)).toBe(chunks);
    expect(fromSource(full)).toBeLessThan(chunks);
    expect(fromSource(await validate('full', true))).toBe(chunks);
    const cli = await run(process.execPath, [join(root, 'bin/tmig.js'), '--address', env.address, 'validate', '--source', `local/${SRC}`, '--target', `target/${DST}`],
      { cwd: root, env: { ...process.env } });
    expect(cli.stdout).toMatch(/^EQUAL/m);
  });

  it('names table and key range for a changed value, a deleted row and an extra row; finds a dropped index', async () => {
    await withDb(DST, async (db) => {
      // Both copy formats are under test: built-in types only -> binary COPY; an enum column -> canonical text.
      const kinds = await db.query<{ t: string; k: string }>(`SELECT DISTINCT table_name AS t, checksum_kind AS k FROM _tmig.chunk`);
      const kindOf = (t: string) => kinds.rows.filter((r) => r.t === t).map((r) => r.k);
      expect(kindOf('public.Staff Members')).toEqual(['ordered-sha256-binary']);
      expect(kindOf('public.bookings')).toEqual(['ordered-sha256']);
      // bookings are read in uuid key order in chunks of 100: change the first row, delete the last.
      await db.query(`UPDATE bookings SET amount = amount + 0.0001 WHERE id = (SELECT id FROM bookings ORDER BY id LIMIT 1)`);
      await db.query(`DELETE FROM "Staff Members" WHERE "Id" = 7`);
      await db.query(`INSERT INTO rooms VALUES ('AAA', 1, 'broom cupboard', 1)`);
      // Beyond the last copied key: full mode reads the last chunk on to the range's end and names it.
      await db.query(`INSERT INTO rooms VALUES ('ZZZ', 1, 'attic', 1)`);
      await db.query(`DROP INDEX bookings_guest_idx`);
    });
    for (const mode of ['full', 'sample'] as const) {
      // Key values (possibly personal data) only with reportKeys; otherwise ranges are named by range and chunk number.
      for (const reportKeys of [false, true]) {
        const r = await validate(mode, false, reportKeys);
        expect(r.validation.ok).toBe(false);
        const msgs = failures(r).join('\n');
        const keys = (k: string) => (reportKeys ? ` keys -inf < key <= ${k}` : '');
        expect(msgs).toMatch(new RegExp(`public\\.bookings: range 0 chunk 1${keys('\\([0-9a-f-]{36}\\)')}: target rows differ`));
        expect(msgs).toMatch(/public\.rooms: row count: source 120, target 122/);
        expect(msgs).toMatch(new RegExp(`public\\.rooms: range 0 chunk 1${keys('\\(CPH, 20\\)')}: rows copied 100, source now 100, target 101`));
        expect(msgs).toMatch(/public\.Staff Members: row count: source 25, target 24/);
        expect(msgs).toMatch(new RegExp(`public\\.Staff Members: range 0 chunk 1${keys('\\(25\\)')}: rows copied 25, source now 25, target 24`));
        if (!reportKeys) expect(msgs).not.toMatch(/ keys |CPH, 20|[0-9a-f]{8}-[0-9a-f]{4}-/);
        expect(msgs).toMatch(/bookings_guest_idx/);
      }
      if (mode === 'full') {
        // recheck: every chunk read cold, the last of each range on to the range's end (no separate count):
        // the row beyond the last copied key is named with its chunk, and the count still adds up.
        const msgs = failures(await validate('full', false, false, true)).join('\n');
        expect(msgs).toMatch(/public\.rooms: row count: source 120, target 122/);
        expect(msgs).toMatch(/public\.rooms: range 0 chunk 2: rows copied 20, source now 20, target 21/);
        expect(msgs).toMatch(/public\.Staff Members: row count: source 25, target 24/);
      }
    }
    const cli = await run(process.execPath, [join(root, 'bin/tmig.js'), '--address', env.address, 'validate', '--source', `local/${SRC}`, '--target', `target/${DST}`, '--mode', 'sample'],
      { cwd: root }).catch((err: { code: number; stdout: string }) => err);
    expect((cli as { code: number }).code).toBe(4);
    expect((cli as { stdout: string }).stdout).toMatch(/^MISMATCH/m);
    // The target no longer says "complete and validated": its run row and comment say it failed.
    await withDb(DST, async (db) => {
      const run = await db.query(`SELECT status, last_error FROM _tmig.run`);
      expect(run.rows[0]).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/^later validation failed at .*public\.rooms/) });
      const c = await db.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`);
      expect(c.rows[0].c).toMatch(/^tmig: FAILED a later validation \(tmig validate\)/);
    });
  });
});
