import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

const dbs = ['tmig_rep_old', 'tmig_rep_new', 'tmig_rep_dst', 'tmig_rep_foreign'];

/** A tenant migrated again from a different source (a newer backup) into the same target. */
describe('target ownership', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let asideName: string | undefined;
  const input = (source: string, target: string, replaceExisting?: boolean, replaceCompleted?: boolean): TenantMigrationInput => ({
    tenantId: 'rep', source: { server: 'local', database: source }, target: { server: 'target', database: target },
    options: { replaceExisting, replaceCompleted },
  });
  const run = (i: TenantMigrationInput, id: string) => env.client.workflow.execute('tenantMigration', { taskQueue: 'migrations', workflowId: id, args: [i] }) as Promise<TenantMigrationResult>;
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (err: WorkflowFailedError) => err.cause as { type?: string; message: string });

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await withDb('postgres', async (db) => { for (const d of dbs) await db.query(`CREATE DATABASE ${d}`); });
    await withDb('tmig_rep_old', (db) => db.query(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'old' FROM generate_series(1, 100) g`));
    await withDb('tmig_rep_new', (db) => db.query(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'new' FROM generate_series(1, 150) g`));
    await withDb('tmig_rep_foreign', (db) => db.query(`CREATE TABLE precious (id int)`));
    await dropDatabases('tmig_rep_dst'); // created by the first migration
    stack = await startStack();
    ({ env } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...dbs, ...(asideName ? [asideName] : []));
  });

  it('a completed target is not rerun, another source is refused unless replaceExisting, a foreign database is never touched', async () => {
    expect((await run(input('tmig_rep_old', 'tmig_rep_dst'), 'rep-1')).ok).toBe(true);
    const again = await run(input('tmig_rep_old', 'tmig_rep_dst'), 'rep-2');
    expect(again.alreadyComplete).toBe(true);

    const refused = await failure(run(input('tmig_rep_new', 'tmig_rep_dst'), 'rep-3'));
    expect(refused?.type).toBe('TargetConflict');
    expect(refused?.message).toMatch(/completed migration .*local\/tmig_rep_old.*not local\/tmig_rep_new.*replaceCompleted/);
    expect(await tableDigests('tmig_rep_dst')).toEqual(await tableDigests('tmig_rep_old'));

    // replaceExisting alone never replaces a completed (possibly serving) target.
    const stillRefused = await failure(run(input('tmig_rep_new', 'tmig_rep_dst', true), 'rep-3b'));
    expect(stillRefused?.type).toBe('TargetConflict');
    expect(stillRefused?.message).toMatch(/replaceCompleted/);
    expect(await tableDigests('tmig_rep_dst')).toEqual(await tableDigests('tmig_rep_old'));

    // With replaceCompleted: the old database is renamed aside (kept, with its data) and the report names it.
    const replaced = await run(input('tmig_rep_new', 'tmig_rep_dst', false, true), 'rep-4');
    expect(replaced.ok).toBe(true);
    expect(await tableDigests('tmig_rep_dst')).toEqual(await tableDigests('tmig_rep_new'));
    const aside = await withDb('postgres', (db) => db.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'tmig_rep_dst_old_%'`));
    expect(aside.rows).toHaveLength(1);
    asideName = aside.rows[0].datname;
    expect(await tableDigests(asideName)).toEqual(await tableDigests('tmig_rep_old'));
    const report = JSON.parse(readFileSync(replaced.reportPath!.replace(/\.html$/, '.json'), 'utf8')) as { replacedDatabase?: string };
    expect(report.replacedDatabase).toBe(asideName);

    const foreign = await failure(run(input('tmig_rep_new', 'tmig_rep_foreign', true), 'rep-5'));
    expect(foreign?.type).toBe('TargetConflict');
    expect(foreign?.message).toMatch(/not created by tmig/);
    const kept = await withDb('tmig_rep_foreign', (db) => db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'precious'`));
    expect(kept.rows[0].n).toBe(1);
  });

  it('two runs into the same target at once: one migrates, the other waits for it and finds it complete', async () => {
    await dropDatabases('tmig_rep_dst');
    const i = input('tmig_rep_new', 'tmig_rep_dst');
    const [a, b] = await Promise.all(['lock-a', 'lock-b'].map((id) => run(i, id)));
    expect(a.ok && b.ok).toBe(true);
    expect([a.alreadyComplete ?? false, b.alreadyComplete ?? false].sort()).toEqual([false, true]);
    const waited = [a, b].find((r) => r.alreadyComplete)!;
    expect(waited.phases.map((p) => p.phase)).toContain('waiting-permit');
    expect(await tableDigests('tmig_rep_dst')).toEqual(await tableDigests('tmig_rep_new'));
  });
});
