/**
 * Wave-level batch cutover on real parts (Temporal dev server, a worker process, PostgreSQL with
 * wal_level=logical): three small online tenants in one wave, cut over by one `tmig cutover --wave`
 * at most two at a time (the wave's batch; the governor would allow three), confirmed by one
 * `cutover-confirm` signal on the wave sent with the stock `temporal` CLI. Every target equals its
 * frozen source, the wave result and report carry each tenant's write-blocked time, no slot is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/stack';
import { temporalCliPath } from '../helpers/temporal';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { MigrationWaveInput, MigrationWaveResult, TenantMigrationResult, WaveProgress } from '../../src/contract/migration';
import { waitFor as waitUntil } from '../helpers/waitFor';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const TENANTS = ['wca', 'wcb', 'wcc'];
const SCHEDULED = 'wcs';
const src = (t: string) => `tmig_${t}_src`;
const dst = (t: string) => `tmig_${t}_dst`;
const DBS = [...TENANTS, SCHEDULED].flatMap((t) => [src(t), dst(t)]);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => waitUntil(what, probe, { timeoutMs: 300_000, everyMs: 500, retryErrors: true });

describe('wave-level batch cutover', () => {
  let stack: Stack;

  beforeAll(async () => {
    await dropDatabases(...DBS);
    for (const t of [...TENANTS, SCHEDULED]) {
      await withDb('postgres', (db) => db.query(`CREATE DATABASE ${src(t)}`));
      await withDb(src(t), (db) => db.query(`CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2));
        INSERT INTO accounts (name, balance) SELECT '${t}' || g, g FROM generate_series(1, 300) g;`));
    }
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...DBS);
  });

  it('cuts a wave\'s online tenants over by one wave signal, two at a time, and records each write-blocked time', async () => {
    const input: MigrationWaveInput = {
      waveId: 'wcut',
      tenants: TENANTS.map((t) => ({ tenantId: t, source: { server: 'local', database: src(t) }, target: { server: 'target', database: dst(t) } })),
      // The governor's cutover pool would take three at once: the wave's batch of 2 is what bounds them.
      options: { online: { sliceSeconds: 5, cutoverConcurrency: 3 }, maxConcurrentTenants: 3 },
    };
    const wave = await stack.env.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-wcut', args: [input] });
    const progress = () => wave.query<WaveProgress>('progress');
    const cli = (...args: string[]) => run(process.execPath, [join(root, 'bin/tmig.js'), '--address', stack.env.address, ...args], { cwd: root });

    // Asked for while the tenants still copy: each is cut over once it streams.
    const asked = await cli('cutover', '--wave', 'wcut', '--batch', '2', '--lag-threshold', '3');
    expect(asked.stdout).toContain('2 at a time');
    // Writes while the tenants copy and stream.
    for (const t of TENANTS) {
      await withDb(src(t), (db) => db.query(`UPDATE accounts SET balance = balance + 1 WHERE id <= 20; DELETE FROM accounts WHERE id = 300; INSERT INTO accounts (name) VALUES ('late ${t}')`));
    }

    let maxInFlight = 0;
    const done = await waitFor('every tenant cut over', async () => {
      const p = await progress();
      maxInFlight = Math.max(maxInFlight, p.cutover?.inFlight.length ?? 0);
      return p.cutover && p.cutover.ok + p.cutover.failed === TENANTS.length ? p : undefined;
    });
    expect(done.cutover).toMatchObject({ active: false, ok: 3, failed: 0 });
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const status = await cli('status', 'wave-wcut');
    expect(status.stdout).toMatch(/cutover: not running\s+ok 3\s+failed 0/);
    expect(status.stdout).toMatch(/cut over wca: write-blocked \d+\.\ds/);

    // Each target equals its frozen source, row by row.
    for (const t of TENANTS) expect(await tableDigests(dst(t))).toEqual(await tableDigests(src(t)));

    // One tenant confirmed by its tenant id (the CLI finds its wave run, tenant-wca@wcut), then one
    // confirm on the wave, sent with the stock CLI, ends every other rollback window.
    const one = await cli('cutover-confirm', 'wca');
    expect(one.stdout).toContain('cutover-confirm requested for tenant-wca@wcut');
    await waitFor('wca to end', async () => ((await stack.env.client.workflow.getHandle('tenant-wca@wcut').describe()).status.name === 'COMPLETED' ? true : undefined));
    await run(temporalCliPath()!, ['workflow', 'signal', '--address', stack.env.address, '--workflow-id', 'wave-wcut', '--name', 'cutover-confirm']);
    const result = await wave.result() as MigrationWaveResult;
    expect(result.counts).toMatchObject({ succeeded: 3, failed: 0 });
    expect(result.cutoverCounts).toEqual({ ok: 3, failed: 0 });
    expect(result.cutovers!.map((c) => c.tenantId).sort()).toEqual(TENANTS);
    for (const c of result.cutovers!) {
      expect(c.ok).toBe(true);
      expect(c.writeBlockedMs).toBeGreaterThan(0);
    }

    // The batch held: never three tenants in their cutover phase at once.
    const windows: [number, number][] = [];
    for (const t of TENANTS) {
      const r = await stack.env.client.workflow.getHandle(`tenant-${t}@wcut`).result() as TenantMigrationResult;
      expect(r.online?.outcome).toBe('confirmed');
      const cut = r.phases.find((p) => p.phase === 'cutover')!;
      windows.push([Date.parse(cut.startedAt), Date.parse(cut.endedAt!)]);
    }
    for (const [start] of windows) expect(windows.filter(([s, e]) => s <= start && start < e).length).toBeLessThanOrEqual(2);

    const slots = await withDb('postgres', (db) => db.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tmig\\_%'`));
    expect(slots.rows).toEqual([]);
    const report = JSON.parse(readFileSync(result.reportPath!.replace(/\.html$/, '.json'), 'utf8')) as { tenants: { tenantId: string; cutover?: { ok: boolean; writeBlockedMs: number } }[] };
    expect(report.tenants.map((t) => t.cutover?.ok)).toEqual([true, true, true]);
    expect(readFileSync(result.reportPath!, 'utf8')).toContain('Cutovers (3 ok, 0 failed)');
  }, 600_000);

  it('cuts a wave over by itself at options.online.cutoverAt, and tmig cutover-confirm --wave ends it', async () => {
    const at = new Date(Date.now() + 15_000).toISOString();
    const input: MigrationWaveInput = {
      waveId: 'wcsched',
      tenants: [{ tenantId: SCHEDULED, source: { server: 'local', database: src(SCHEDULED) }, target: { server: 'target', database: dst(SCHEDULED) } }],
      options: { online: { sliceSeconds: 5, cutoverAt: at } },
    };
    const wave = await stack.env.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-wcsched', args: [input] });
    const first = await waitFor('the wave to answer', () => wave.query<WaveProgress>('progress'));
    expect(first.cutover).toMatchObject({ scheduledAt: at, ok: 0 });
    const done = await waitFor('the scheduled cutover', async () => {
      const p = await wave.query<WaveProgress>('progress');
      return p.cutover && p.cutover.ok + p.cutover.failed === 1 ? p : undefined;
    });
    expect(done.cutover!.outcomes[0]).toMatchObject({ tenantId: SCHEDULED, ok: true });
    expect(Date.parse(done.cutover!.outcomes[0].at)).toBeGreaterThanOrEqual(Date.parse(at));
    expect(await tableDigests(dst(SCHEDULED))).toEqual(await tableDigests(src(SCHEDULED)));
    await run(process.execPath, [join(root, 'bin/tmig.js'), '--address', stack.env.address, 'cutover-confirm', '--wave', 'wcsched'], { cwd: root });
    const result = await wave.result() as MigrationWaveResult;
    expect(result.cutoverCounts).toEqual({ ok: 1, failed: 0 });
  }, 600_000);
});
