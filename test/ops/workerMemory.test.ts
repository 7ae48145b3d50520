/**
 * Worker memory diagnostics and start-up weight:
 *  - a real worker with TMIG_MEMORY_TRACE writes one line of memory figures a second, with both
 *    Temporal workers (light, heavy) and their cached workflows, while a real tenant migrates;
 *  - TMIG_HEAP_SNAPSHOT_DIR: creating DIR/snapshot makes it write heap snapshots of the main isolate
 *    and of the workflow thread (which `process.memoryUsage()` does not cover), and it keeps running
 *    (a signal would not do: the Temporal runtime shuts down on SIGUSR2);
 *  - loading every activity (what a worker of any role loads at start) does not load the SQL Server,
 *    MongoDB, MySQL, S3, chart.js or logical-replication packages: those load on first use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal, temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import type { MigrationWaveInput, MigrationWaveResult } from '../../src/contract/migration';
import { procMemoryMb } from '../../src/workers/memoryTrace';

const root = resolve(__dirname, '..', '..');
const dbs = ['tmig_memtrace_src', 'tmig_memtrace_dst'];

const waitFor = async (what: string, ok: () => boolean, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

const head = (file: string, bytes: number) => {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
};

describe('procMemoryMb', () => {
  it('reads VmRSS and VmHWM (MB) from /proc status text', () => {
    expect(procMemoryMb('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n')).toEqual({ rss: 100, hwm: 200 });
    expect(procMemoryMb('Name:\tnode\n')).toEqual({ rss: undefined, hwm: undefined });
  });
});

describe('activities load no optional engine, storage or report packages at start', () => {
  it('leaves mssql, mongodb, mysql2, S3, chart.js and pg-logical-replication unloaded', () => {
    const script = `require(${JSON.stringify(join(root, 'src/activities/index.ts'))});
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'WARN' } });
    expect(res.status, res.stderr).toBe(0);
    const loaded = JSON.parse(res.stdout) as string[];
    // The probe works: pg and the copy activity are loaded.
    expect(loaded.some((p) => p.includes('/node_modules/pg/'))).toBe(true);
    expect(loaded.some((p) => p.endsWith('copyTableSlice.ts'))).toBe(true);
    for (const pkg of ['mssql', 'tedious', 'mongodb', 'mysql2', '@aws-sdk', 'chart.js', 'pg-logical-replication']) {
      expect(loaded.filter((p) => p.includes(`/node_modules/${pkg}/`)), pkg).toEqual([]);
    }
    expect(loaded.filter((p) => p.endsWith('cdcSteps.ts') || p.includes('/src/cdc/'))).toEqual([]);
  });
});

describe.skipIf(!temporalCliPath())('worker memory trace and heap snapshots (real worker)', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  const dir = mkdtempSync(join(tmpdir(), 'tmig-memtrace-'));
  const trace = join(dir, 'trace.jsonl');

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await createSampleTenant(PG_ADMIN_URL, dbs[0], 1_000);
    env = await startTemporal();
    worker = await startWorker(env.address, writeTestConfig(), { TMIG_MEMORY_TRACE: trace, TMIG_MEMORY_TRACE_MS: '200', TMIG_HEAP_SNAPSHOT_DIR: dir });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await dropDatabases(...dbs);
  });

  const lines = () => (existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) : []);

  it('traces memory while a tenant migrates, and writes heap snapshots on request without stopping', async () => {
    await waitFor('first trace lines', () => lines().length >= 2);
    const first = lines()[0];
    expect(first.rssMb).toBeGreaterThan(20);
    expect(first.hwmMb).toBeGreaterThanOrEqual(first.rssMb);
    expect(first.heapUsedMb).toBeGreaterThan(1);
    expect(first.heapTotalMb).toBeGreaterThanOrEqual(first.heapUsedMb);
    expect(first.workers.map((w: { role: string }) => w.role)).toEqual(['light', 'heavy']);

    const input: MigrationWaveInput = {
      waveId: 'memtrace',
      tenants: [{ tenantId: 'memtrace', source: { server: 'local', database: dbs[0] }, target: { server: 'target', database: dbs[1] } }],
      options: { maxConcurrentTenants: 1, tableConcurrency: 2 },
    };
    const handle = await env.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-memtrace', args: [input] });
    await waitFor('a cached workflow in the trace', () => lines().some((l) => l.workers[0].cachedWorkflows > 0));

    writeFileSync(join(dir, 'snapshot'), '');
    await waitFor('heap snapshots', () => worker.output().includes('heap snapshots written'), 120_000);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
    expect(files.some((f) => f.startsWith('main-'))).toBe(true);
    expect(files.some((f) => f.startsWith('workflows-light0-'))).toBe(true);
    for (const f of files) expect(head(join(dir, f), 40)).toMatch(/^\{"snapshot":\{/);
    expect(existsSync(join(dir, 'snapshot'))).toBe(false);

    const result = (await handle.result()) as MigrationWaveResult;
    expect(result.failed).toEqual([]);
    expect(worker.child.exitCode).toBeNull();
  }, 300_000);
});

describe('process-start memory settings', () => {
  it('bin/tmig-worker caps malloc arenas, fixes the trim/mmap thresholds and gives node small semi-spaces, unless the environment says otherwise', () => {
    // NODE points the launcher at a stand-in that prints what node would have been started with.
    const dir = mkdtempSync(join(tmpdir(), 'tmig-launcher-'));
    const fakeNode = join(dir, 'node');
    writeFileSync(fakeNode, '#!/bin/sh\necho "$MALLOC_ARENA_MAX $MALLOC_TRIM_THRESHOLD_ $MALLOC_MMAP_THRESHOLD_ | $*"\n', { mode: 0o755 });
    const run = (env: Record<string, string>) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_') && k !== 'TMIG_WORKER_NODE_FLAGS'));
      const res = spawnSync(join(root, 'bin', 'tmig-worker'), ['--extra'], { encoding: 'utf8', env: { ...clean, NODE: fakeNode, ...env } });
      expect(res.status, res.stderr).toBe(0);
      return res.stdout.trim();
    };
    expect(run({})).toBe(`2 131072 131072 | --max-semi-space-size=2 ${join(root, 'bin', 'tmig-worker.js')} --extra`);
    expect(run({ MALLOC_ARENA_MAX: '4', TMIG_WORKER_NODE_FLAGS: '' })).toBe(`4 131072 131072 | ${join(root, 'bin', 'tmig-worker.js')} --extra`);
  });

  it('the workflow bundle is ASCII only (held as a one-byte string in the workflow thread), and its messages unchanged', async () => {
    const { ensureWorkflowBundle } = await import('../../src/workers/workflowBundle');
    const code = readFileSync(ensureWorkflowBundle());
    expect(code.findIndex((b) => b > 0x7f)).toBe(-1);
    // A non-ASCII character of the sources (the arrow in a tenant's summary line) is there as its escape.
    expect(code.toString('latin1')).toContain('\\u2192');
  });
});
