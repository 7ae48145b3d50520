/**
 * Fault: the Temporal dev server is stopped and started again mid-wave, on the same port and the
 * same SQLite file. The worker reconnects, the wave carries on, and every tenant ends exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, tableDigests, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';
import type { MigrationWaveInput, MigrationWaveResult } from '../../src/contract/migration';
import { freePort } from '../../src/engines/freePort';

const ids = ['r1', 'r2', 'r3'];
const dbs = ids.flatMap((id) => [`tmig_tr_src_${id}`, `tmig_tr_dst_${id}`]);

describe.skipIf(!temporalCliPath())('fault: Temporal dev server restarted mid-wave', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tmig-temporal-'));
  const dbFilename = join(dir, 'temporal.sqlite');
  let port = 0;
  let env: TestWorkflowEnvironment | undefined;
  let worker: WorkerProcess | undefined;
  const start = () => TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath()! }, searchAttributes: ALL_SEARCH_ATTRIBUTES, dbFilename, port, ip: '127.0.0.1' },
  });

  beforeAll(async () => {
    await dropDatabases(...dbs);
    for (const id of ids) await createSampleTenant(PG_ADMIN_URL, `tmig_tr_src_${id}`, 6000);
    port = await freePort();
    env = await start();
    worker = await startWorker(env.address, writeTestConfig());
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await dropDatabases(...dbs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every tenant completes exact', async () => {
    const input: MigrationWaveInput = {
      waveId: 'fault-wave',
      tenants: ids.map((id) => ({ tenantId: `tr-${id}`, source: { server: 'local', database: `tmig_tr_src_${id}` }, target: { server: 'target', database: `tmig_tr_dst_${id}` } })),
      options: { maxConcurrentTenants: 2, chunkRows: 200, tableConcurrency: 1 },
    };
    await env!.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'fault-wave', args: [input] });
    // Once a tenant is copying, stop the server (its SQLite file stays), and start it again 3 s later.
    let rows = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && rows === 0) {
      rows = await withDb('tmig_tr_dst_r1', (db) => db.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`))
        .then((r) => r.rows[0].n).catch(() => 0);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toBeGreaterThan(0);
    await env!.teardown();
    env = undefined;
    await new Promise((r) => setTimeout(r, 3_000));
    env = await start();

    const result = await env.client.workflow.getHandle('fault-wave').result() as MigrationWaveResult;
    expect(result.failed).toEqual([]);
    expect(result.succeeded.map((s) => s.tenantId).sort()).toEqual(ids.map((id) => `tr-${id}`));
    for (const id of ids) expect(await tableDigests(`tmig_tr_dst_${id}`), id).toEqual(await tableDigests(`tmig_tr_src_${id}`));
  }, 400_000);
});
