/**
 * Fault: the PostgreSQL cluster (source and target) crashes and restarts mid-copy. The copy's
 * retries resume from the committed checkpoints and the tenant ends exact. Runs on a private,
 * throwaway cluster started by this file (never a shared one).
 */
import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

// Before any import reads TEST_PG_URL: this file's tests (and its worker) use the private cluster.
const cluster = vi.hoisted(() => {
  const port = 21000 + (process.pid % 5000);
  process.env.TEST_PG_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return { port };
});

import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { dropDatabases, tableDigests, withDb } from '../helpers/pg';
import type { TenantMigrationInput, TenantMigrationResult } from '../../src/contract/migration';

const BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) => existsSync(join(d, 'pg_ctl')));
const SRC = 'tmig_pgfault_src';
const DST = 'tmig_pgfault_dst';
const ROWS = 400_000;

/** Runs a PostgreSQL tool as the postgres OS user when we are root (initdb refuses root). */
function pgTool(tool: string, args: string[]): string {
  const cmd = [join(BIN!, tool), ...args];
  if (process.getuid?.() === 0) return execFileSync('su', ['postgres', '-c', cmd.map((a) => `'${a}'`).join(' ')], { encoding: 'utf8' });
  return execFileSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
}

describe.skipIf(!BIN)('fault: PostgreSQL restarted mid-copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tmig-pgfault-'));
  const data = join(dir, 'data');
  let env: TestWorkflowEnvironment | undefined;
  let worker: WorkerProcess | undefined;
  const ctl = (...args: string[]) => pgTool('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', ...args]);

  beforeAll(async () => {
    chmodSync(dir, 0o777);
    pgTool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    ctl('-o', `-p ${cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`, 'start');
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`CREATE TABLE ledger (id bigint PRIMARY KEY, account text NOT NULL, memo text);
      INSERT INTO ledger SELECT g, 'acct-' || (g % 977), repeat('x', g % 50) FROM generate_series(1, ${ROWS}) g;
      CREATE TABLE notes (body text); INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 1000) g;
      ANALYZE`));
    env = await startTemporal();
    // The default unreachableAttempts (4: about 7 s of backoff) must ride out a quick restart.
    worker = await startWorker(env.address, writeTestConfig({ unreachableAttempts: 4 }));
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    try {
      ctl('-m', 'immediate', 'stop');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the copy retries through a crash restart of the cluster and ends exact', async () => {
    const input: TenantMigrationInput = { tenantId: 'pgfault', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST },
      options: { chunkRows: 5_000, tableConcurrency: 2 } };
    const handle = await env!.client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'pgfault-1', args: [input] });
    let done = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && done < 50_000) {
      done = await withDb(DST, (db) => db.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`)).then((r) => r.rows[0].n).catch(() => 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(done).toBeGreaterThanOrEqual(50_000);
    expect(done).toBeLessThan(ROWS);
    // A crash (immediate shutdown: no checkpoint, recovery on start), then the cluster is back after 3 s.
    ctl('-m', 'immediate', 'stop');
    await new Promise((r) => setTimeout(r, 3_000));
    ctl('-o', `-p ${cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`, 'start');

    const result = await handle.result() as TenantMigrationResult;
    expect(result.ok).toBe(true);
    expect(result.validation?.ok).toBe(true);
    expect(await tableDigests(DST)).toEqual(await tableDigests(SRC));
    // Retried attempts wrote the chunks after the restart; every row exactly once (rows add up, keys unique).
    const chunks = await withDb(DST, (db) => db.query(`SELECT max(attempt)::int AS a, sum(rows)::int AS n FROM _tmig.chunk WHERE table_name = 'public.ledger'`));
    expect(chunks.rows[0]).toEqual({ a: expect.any(Number), n: ROWS });
    expect(chunks.rows[0].a).toBeGreaterThan(1);
    await dropDatabases(SRC, DST);
  }, 300_000);
});
