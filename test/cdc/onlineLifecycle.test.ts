/**
 * Online tenants' edges on real parts: a keyless table is refused before anything starts; DDL
 * during streaming fails the tenant naming it; a cancelled tenant and a confirmed cutover leave
 * no slot and no publication; the report carries the cutover and its write-blocked time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startStack, type Stack } from '../helpers/stack';
import { dropDatabases, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult, TenantProgress } from '../../src/contract/migration';
import { innermostMessage } from '../../src/contract/innermostMessage';
import { waitFor as waitUntil } from '../helpers/waitFor';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const DBS = ['tmig_ol_keyless_src', 'tmig_ol_keyless_dst', 'tmig_ol_ddl_src', 'tmig_ol_ddl_dst', 'tmig_ol_cancel_src', 'tmig_ol_cancel_dst', 'tmig_ol_ok_src', 'tmig_ol_ok_dst'];

async function tmigObjects(): Promise<{ slots: string[]; publications: string[] }> {
  const slots = await withDb('postgres', (db) => db.query<{ s: string }>(`SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name LIKE 'tmig\\_%'`)).then((r) => r.rows.map((x) => x.s));
  const publications: string[] = [];
  for (const d of DBS) {
    const exists = await withDb('postgres', (db) => db.query('SELECT 1 FROM pg_database WHERE datname = $1', [d]));
    if (!exists.rowCount) continue;
    publications.push(...await withDb(d, (db) => db.query<{ p: string }>(`SELECT pubname AS p FROM pg_publication`)).then((r) => r.rows.map((x) => `${d}:${x.p}`)));
  }
  return { slots, publications };
}

async function seed(db: string): Promise<void> {
  await withDb('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
  await withDb(db, (c) => c.query(`CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2));
    INSERT INTO accounts (name, balance) SELECT 'a' || g, g FROM generate_series(1, 500) g;
    CREATE TABLE transfers (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts (id), amount numeric(12,2));
    INSERT INTO transfers (account_id, amount) SELECT g, g FROM generate_series(1, 100) g;`));
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => waitUntil(what, probe, { timeoutMs: 180_000, everyMs: 250, retryErrors: true });

describe('online tenant lifecycle', () => {
  let stack: Stack;
  const input = (id: string, opts: TenantMigrationInput['options'] = {}): TenantMigrationInput => ({
    tenantId: id, source: { server: 'local', database: `tmig_ol_${id}_src` }, target: { server: 'target', database: `tmig_ol_${id}_dst` },
    options: { online: { sliceSeconds: 5 }, ...opts },
  });
  const start = (id: string) => stack.env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: `tenant-${id}`, args: [input(id)] });
  const lastPhase = new Map<string, string>();
  const phase = async (id: string) => {
    const p = (await stack.env.client.workflow.getHandle(`tenant-${id}`).query<TenantProgress>('progress')).phase;
    lastPhase.set(id, p);
    return p;
  };

  beforeAll(async () => {
    await dropDatabases(...DBS);
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...DBS);
  });

  it('refuses a table without a key before anything starts, saying how to fix it', async () => {
    await seed('tmig_ol_keyless_src');
    await withDb('tmig_ol_keyless_src', (db) => db.query('CREATE TABLE audit_log (at timestamptz, line text)'));
    const err = await start('keyless').then((h) => h.result()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(innermostMessage(err)).toMatch(/public\.audit_log has no primary key and no replica identity.*ADD PRIMARY KEY.*REPLICA IDENTITY/);
    const target = await withDb('postgres', (db) => db.query(`SELECT 1 FROM pg_database WHERE datname = 'tmig_ol_keyless_dst'`));
    expect(target.rowCount).toBe(0); // nothing was touched
    expect((await tmigObjects()).slots).toEqual([]);
  });

  it('fails clearly on DDL during streaming, naming the table, and drops the slot', async () => {
    await seed('tmig_ol_ddl_src');
    const h = await start('ddl');
    await waitFor('streaming', async () => ((await phase('ddl')) === 'cdc' ? true : undefined));
    await withDb('tmig_ol_ddl_src', (db) => db.query(`ALTER TABLE accounts ADD COLUMN email text; INSERT INTO accounts (name, email) VALUES ('late', 'x')`));
    const err = await h.result().then(() => undefined, (e: unknown) => e);
    expect(innermostMessage(err)).toMatch(/DDL during streaming.*public\.accounts.*email/);
    expect((await tmigObjects()).slots).toEqual([]);
  });

  it('leaves no slot or publication when a streaming tenant is cancelled', async () => {
    await seed('tmig_ol_cancel_src');
    const h = await start('cancel');
    await waitFor('streaming', async () => ((await phase('cancel')) === 'cdc' ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message} (phase ${lastPhase.get('cancel')}): ${stack.worker.output().slice(-3000)}`);
    });
    await h.cancel();
    await h.result().catch(() => undefined);
    expect(await tmigObjects()).toEqual({ slots: [], publications: [] });
  });

  it('cuts over with tmig cutover, confirms with tmig cutover-confirm, drops every slot and reports the write-blocked time', async () => {
    await seed('tmig_ol_ok_src');
    const h = await start('ok');
    await waitFor('streaming', async () => ((await phase('ok')) === 'cdc' ? true : undefined));
    await withDb('tmig_ol_ok_src', (db) => db.query(`UPDATE accounts SET balance = balance + 1 WHERE id <= 10; DELETE FROM accounts WHERE id = 500; INSERT INTO accounts (name) VALUES ('streamed')`));
    // The target is frozen for applications until cutover.
    await expect(withDb('tmig_ol_ok_dst', (db) => db.query(`INSERT INTO accounts (name) VALUES ('too early')`))).rejects.toThrow(/read-only/);
    const cli = (...args: string[]) => run(process.execPath, [join(root, 'bin/tmig.js'), '--address', stack.env.address, ...args], { cwd: root });
    await expect(cli('cutover-confirm', 'ok')).rejects.toMatchObject({ code: 1 }); // not cut over yet
    await cli('cutover', 'ok', '--lag-threshold', '3');
    await waitFor('the rollback window', async () => ((await phase('ok')) === 'rollback-window' ? true : undefined));
    // Writes open on the target, with sequences past the source's.
    const id = await withDb('tmig_ol_ok_dst', (db) => db.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('after cutover') RETURNING id`)).then((r) => r.rows[0].id);
    expect(id).toBeGreaterThan(501);
    await cli('cutover-confirm', 'ok');
    const result = await h.result() as TenantMigrationResult;
    expect(result.ok).toBe(true);
    expect(result.online?.outcome).toBe('confirmed');
    expect(await tmigObjects()).toEqual({ slots: [], publications: [] });
    const report = JSON.parse(readFileSync(result.reportPath!.replace(/\.html$/, '.json'), 'utf8'));
    expect(report.online.cutovers[0]).toMatchObject({ ok: true });
    expect(report.online.cutovers[0].writeBlockedMs).toBeGreaterThan(0);
    expect(report.online.finalCheck).toMatchObject({ ok: true, tables: 2, rows: 600 });
    // The foreign key added NOT VALID after the copy was validated at cutover.
    const fk = await withDb('tmig_ol_ok_dst', (db) => db.query<{ v: boolean }>(`SELECT convalidated AS v FROM pg_constraint WHERE contype = 'f'`));
    expect(fk.rows).toEqual([{ v: true }]);
    expect(readFileSync(result.reportPath!, 'utf8')).toContain('Online migration: confirmed');
  });
});
