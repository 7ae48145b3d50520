/**
 * Online migration end to end on real parts (Temporal dev server, worker processes, PostgreSQL
 * with wal_level=logical): a writer runs through the copy, streaming and cutover; the worker is
 * SIGKILLed during the copy, mid-stream and during the cutover; PostgreSQL is restarted while
 * streaming (when the test may control it); the stock `temporal` CLI signals the cutover. At
 * cutover the target equals the frozen source row by row; writes made on the target afterwards
 * are all on the source after a rollback, and no slot is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal, temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { dbUrl, dropDatabases, restartTestCluster, tableDigests, withDb } from '../helpers/pg';
import { ChangeWriter, seedWriterTables } from '../../src/demo/changeWriter';
import type { TenantMigrationInput, TenantMigrationResult, TenantProgress } from '../../src/contract/migration';
import { waitFor as waitUntil } from '../helpers/waitFor';

const run = promisify(execFile);
const SRC = 'tmig_online_src';
const DST = 'tmig_online_dst';

async function slotsLeft(): Promise<string[]> {
  return withDb('postgres', (db) => db.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tmig\\_%'`))
    .then((r) => r.rows.map((x) => x.slot_name));
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => waitUntil(what, probe, { timeoutMs: 240_000, everyMs: 250, retryErrors: true });

describe('online migration: copy under writes, streaming, cutover, rollback', () => {
  let env: TestWorkflowEnvironment;
  const workers: WorkerProcess[] = [];
  let config: string;
  const hookLog = join(mkdtempSync(join(tmpdir(), 'tmig-hook-')), 'switch.log');

  beforeAll(async () => {
    await dropDatabases(SRC, DST);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => seedWriterTables(db, 6000));
    env = await startTemporal();
    config = writeTestConfig({ cutover: { switchHook: { command: ['sh', '-c', `echo "$TMIG_TENANT $TMIG_SWITCH_TO" >> ${hookLog}`] } } });
    workers.push(await startWorker(env.address, config));
  });

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await env?.teardown();
    await dropDatabases(SRC, DST);
  });

  const progress = (id: string) => env.client.workflow.getHandle(id).query<TenantProgress>('progress');
  const killAndReplace = async () => {
    await workers[workers.length - 1].stop('SIGKILL');
    workers.push(await startWorker(env.address, config));
  };

  it('ends exact through SIGKILLs, a PostgreSQL restart and a cutover signalled by the stock CLI, then rolls back every target write', async () => {
    const writer = new ChangeWriter(dbUrl(SRC), 40);
    writer.start();
    const input: TenantMigrationInput = {
      tenantId: 'online1', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST },
      options: { online: { sliceSeconds: 10, lagThresholdSeconds: 5 }, chunkRows: 500, tableConcurrency: 1 },
    };
    const handle = await env.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-online1', args: [input] });

    // 1. SIGKILL during the snapshot (some chunks committed, not all).
    await waitFor('the copy to be under way', async () => {
      const r = await withDb(DST, (db) => db.query<{ n: number; open: number }>(
        `SELECT coalesce(sum(rows_done), 0)::int AS n, count(*) FILTER (WHERE NOT done)::int AS open FROM _tmig.checkpoint`));
      return r.rows[0].n >= 1000 && r.rows[0].open > 0 ? true : undefined;
    });
    await killAndReplace();

    // 2. SIGKILL mid-stream, once changes are being applied.
    await waitFor('streaming', async () => ((await progress('tenant-online1')).cdc?.changesApplied ?? 0) > 50 ? true : undefined);
    await killAndReplace();
    await waitFor('streaming again', async () => {
      const p = await progress('tenant-online1');
      return p.phase === 'cdc' && (p.cdc?.changesApplied ?? 0) > 100 ? true : undefined;
    });

    // 3. PostgreSQL restarted while streaming.
    // Only the cluster of TEST_PG_URL (a sandbox, or the CI's own cluster) is restarted.
    const before = (await progress('tenant-online1')).cdc!.changesApplied;
    await restartTestCluster();
    await waitFor('streaming after the restart', async () => ((await progress('tenant-online1')).cdc!.changesApplied > before + 20 ? true : undefined));

    const streaming = await progress('tenant-online1');
    expect(streaming.cdc).toMatchObject({ state: 'streaming', direction: 'forward' });
    expect(streaming.cdc!.lastAppliedCommitTime).toBeTruthy();
    expect(typeof streaming.cdc!.lagBytes).toBe('number');
    expect(streaming.cdc!.retainedWalBytes).toBeGreaterThan(0);
    const listed = await run(process.execPath, [join(__dirname, '..', '..', 'bin/tmig.js'), '--address', env.address, 'cdc', 'list'], { cwd: join(__dirname, '..', '..') });
    expect(listed.stdout).toMatch(/online1\s+streaming: lag/);

    // 4. Cutover signalled with the stock temporal CLI; SIGKILL while it runs.
    await run(temporalCliPath()!, ['workflow', 'signal', '--address', env.address, '--workflow-id', 'tenant-online1', '--name', 'cutover']);
    await waitFor('the cutover to start', async () => ((await progress('tenant-online1')).phase === 'cutover' ? true : undefined));
    await killAndReplace();
    await waitFor('the rollback window', async () => ((await progress('tenant-online1')).phase === 'rollback-window' ? true : undefined)).catch(async (e: Error) => {
      // Say where the tenant stood (phase, stream, attempts, errors) and what the worker said last.
      const p = await progress('tenant-online1').catch(() => undefined);
      throw new Error(`${e.message}; progress ${JSON.stringify({ phase: p?.phase, lastError: p?.lastError, errors: p?.errors, cdc: p?.cdc })}; `
        + `worker output: ${workers[workers.length - 1].output().slice(-3000)}`);
    });
    const writes = await writer.stop();
    expect(writes.refused).toBeGreaterThan(0); // the writer was frozen out of the source
    expect(writes.ops).toBeGreaterThan(200);

    // The target equals the frozen source, row by row.
    expect(await tableDigests(DST)).toEqual(await tableDigests(SRC));
    const hook = readFileSync(hookLog, 'utf8');
    expect(hook).toContain('online1 target');

    // 5. Writes on the target after cutover; rollback brings every one of them to the source.
    const targetWriter = new ChangeWriter(dbUrl(DST), 40, 20_000_000);
    targetWriter.start();
    await new Promise((r) => setTimeout(r, 4000));
    await run(process.execPath, [join(__dirname, '..', '..', 'bin/tmig.js'), '--address', env.address, 'rollback', 'online1'], { cwd: join(__dirname, '..', '..') });
    const result = await handle.result() as TenantMigrationResult;
    const tw = await targetWriter.stop();
    expect(tw.ops).toBeGreaterThan(20);
    expect(result.online?.outcome).toBe('rolled-back');
    expect(await tableDigests(SRC)).toEqual(await tableDigests(DST));
    expect(readFileSync(hookLog, 'utf8')).toContain('online1 source');

    const ok = result.online!.cutovers.find((c) => c.ok)!;
    expect(ok.writeBlockedMs).toBeGreaterThan(0);
    expect(ok.steps.map((s) => s.step)).toEqual(['freeze-source', 'drain', 'sync-sequences', 'validate-foreign-keys', 'final-validation', 'start-reverse-replication', 'switch-hook', 'unfreeze-target']);
    expect(result.online!.finalCheck).toMatchObject({ ok: true, tables: 3 });
    expect(result.online!.reverseChangesApplied).toBeGreaterThan(0);
    expect(await slotsLeft()).toEqual([]);
  }, 900_000); // three worker start-ups (workflow bundling) and a PostgreSQL restart: minutes on a busy machine
});
