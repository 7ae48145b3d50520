/**
 * `tmig validate` on a pair tmig did not copy (no bookkeeping in the target): key ranges planned
 * from the source, both sides compared range by range with the same canonical checksums.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, withDb } from '../helpers/pg';
import type { ValidateMigrationResult } from '../../src/workflows/validateMigration';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');
const SRC = 'tmig_pair_src';
const DST = 'tmig_pair_dst';

describe('validation of a pair without bookkeeping', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const validate = (mode: 'full' | 'sample', reportKeys = false) => env.client.workflow.execute('validateMigration', {
    taskQueue: 'migrations', workflowId: `pair-${mode}-${Date.now()}`,
    args: [{ source: { server: 'local', database: SRC }, target: { server: 'target', database: DST }, mode, sampleRate: 0, reportKeys }],
  }) as Promise<ValidateMigrationResult>;
  const failures = (r: ValidateMigrationResult) => r.validation.findings.filter((f) => !f.ok).map((f) => f.message);

  beforeAll(async () => {
    await dropDatabases(SRC, DST);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`
      CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 120000) g;
      CREATE TABLE people (email text PRIMARY KEY, name text); INSERT INTO people SELECT 'p' || g || '@example.com', 'n' || g FROM generate_series(1, 500) g;
      CREATE TABLE notes (body text); INSERT INTO notes SELECT 'note ' || g FROM generate_series(1, 50) g;
      CREATE TABLE marker (); INSERT INTO marker SELECT FROM generate_series(1, 3);
      ANALYZE`));
    // "Another tool" made the copy: a template copy, without any tmig bookkeeping.
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${DST} TEMPLATE ${SRC}`));
    stack = await startStack();
    ({ env } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(SRC, DST);
  });

  it('reports every table equal on an identical copy', async () => {
    const r = await validate('full');
    expect(failures(r)).toEqual([]);
    expect(r.validation.ok).toBe(true);
    const big = r.validation.tables.find((t) => t.table === 'public.big')!;
    expect(big).toMatchObject({ sourceRows: 120000, targetRows: 120000, ranges: 3, chunksVerified: 3, checksumOk: true });
    expect(r.validation.tables.map((t) => t.table).sort()).toEqual(['public.big', 'public.marker', 'public.notes', 'public.people']);
    expect(r.validation.findings.filter((f) => f.ok).map((f) => f.message)).toContain('public.marker: equal (1 of 1 ranges compared, 3 rows)');
  });

  it('names the differing ranges with counts; keys only with reportKeys; the CLI exits 4', async () => {
    await withDb(DST, (db) => db.query(`UPDATE big SET v = 'x' WHERE id = 100000; DELETE FROM people WHERE email = 'p7@example.com';
      INSERT INTO notes VALUES ('extra'); DELETE FROM marker WHERE ctid = (SELECT min(ctid) FROM marker)`));
    const r = await validate('full');
    expect(r.validation.ok).toBe(false);
    const msgs = failures(r);
    expect(msgs).toContain('public.big: range 3 of 3: 40000 rows on both sides, contents differ');
    expect(msgs).toContain('public.people: row count: source 500, target 499');
    expect(msgs).toContain('public.people: range 1 of 1: source 500 rows, target 499');
    expect(msgs).toContain('public.notes: range 1 of 1: source 50 rows, target 51');
    expect(msgs).toContain('public.marker: range 1 of 1: source 3 rows, target 2');
    expect(msgs.join('\n')).not.toMatch(/@example/);
    const keyed = failures(await validate('full', true));
    expect(keyed).toContain('public.big: range 3 of 3 keys 80000 < id <= +inf: 40000 rows on both sides, contents differ');
    // Sample mode still counts every range.
    expect(failures(await validate('sample'))).toContain('public.people: row count: source 500, target 499');
    const cli = await run(process.execPath, [join(root, 'bin/tmig.js'), '--address', env.address, 'validate', '--source', `local/${SRC}`, '--target', `target/${DST}`],
      { cwd: root }).catch((err: { code: number; stdout: string }) => err);
    expect((cli as { code: number }).code).toBe(4);
    expect((cli as { stdout: string }).stdout).toMatch(/^MISMATCH/m);
  });
});
