/**
 * A large wave (10,000 tenants with TMIG_SCALE_TENANTS=10000; real migrationWave, stub tenant workflows in a test worker, real Temporal
 * dev server): continue-as-new and the result carry counts plus capped samples, never every
 * outcome, so payloads stay small; the progress query lists running tenants, bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { haveTemporal, temporalBinary } from './harness';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';
import { TASK_QUEUE } from '../../src/contract/names';
import { reportWave } from '../../src/activities/reportRun';
import { resetConfigCache } from '../../src/config/loadConfig';
import type { MigrationWaveInput, MigrationWaveResult, WaveProgress } from '../../src/contract/migration';
import { FAILED_SAMPLE, ERROR_TEXT_LIMIT, SUCCEEDED_SAMPLE } from '../../src/contract/waveOutcomes';
import { MAX_PROGRESS_TENANTS } from '../../src/workflows/migrationWave';

// 300 by default (two continue-as-new runs, about 100 s on the shared 2-core build machine, where
// 1,000 tenants took 336 s); TMIG_SCALE_TENANTS=10000 runs the full size.
const N = Number(process.env.TMIG_SCALE_TENANTS ?? 300);

describe.skipIf(!haveTemporal)(`a wave of ${N} tenants (stub tenant workflows)`, () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;
  const previous = process.env.MIGRATOR_CONFIG;
  beforeAll(async () => {
    try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* installed */ }
    dir = mkdtempSync(join(tmpdir(), 'tmig-scale-'));
    writeFileSync(join(dir, 'config.yaml'), `servers: {}\nreports: { dir: ${JSON.stringify(join(dir, 'reports'))} }\n`);
    process.env.MIGRATOR_CONFIG = join(dir, 'config.yaml');
    resetConfigCache();
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalBinary }, searchAttributes: ALL_SEARCH_ATTRIBUTES } });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath: join(__dirname, 'waveScale.workflows.ts'),
      activities: { reportWave }, maxCachedWorkflows: 600,
      // The build machine is shared: a starved activation must not hit the 5 s isolate limit (debugMode lifts it).
      debugMode: true,
    });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
    if (previous === undefined) delete process.env.MIGRATOR_CONFIG;
    else process.env.MIGRATOR_CONFIG = previous;
    resetConfigCache();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes with exact counts, capped samples, every failed id, small continue-as-new inputs and a bounded progress', async () => {
    const input: MigrationWaveInput = {
      waveId: 'scale',
      tenants: Array.from({ length: N }, (_, i) => ({
        tenantId: `t${String(i).padStart(5, '0')}`, source: { server: 'src', database: `db${i}` }, target: { server: 'dst', database: `t${i}` },
      })),
      options: { maxConcurrentTenants: 200, chunkRows: 100 },
    };
    const handle = await env.client.workflow.start('migrationWave', { workflowId: 'wave-scale', taskQueue: TASK_QUEUE, args: [input] });
    let progressSeen = 0;
    let maxTenantsInProgress = 0;
    const done = handle.result() as Promise<MigrationWaveResult>;
    let finished = false;
    void done.finally(() => { finished = true; });
    while (!finished) {
      const p = await handle.query<WaveProgress>('progress').catch(() => undefined);
      if (p && Object.keys(p.tenants).length > 0) {
        progressSeen++;
        maxTenantsInProgress = Math.max(maxTenantsInProgress, Object.keys(p.tenants).length);
        // Only running tenants, each with the phase and counts it reported.
        for (const t of Object.values(p.tenants)) expect(t).toMatchObject({ phase: 'copy', tablesDone: 1, rowsCopied: 10 });
        expect(p.counts!.total).toBe(N);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const result = await done;
    const failing = input.tenants.filter((t) => t.tenantId.endsWith('7')).length;
    const already = input.tenants.filter((t) => t.tenantId.endsWith('3')).length;
    expect(result.counts).toEqual({ total: N, succeeded: N - failing - already, alreadyComplete: already, failed: failing, cancelled: 0, skipped: 0,
      rowsCopied: (N - failing - already) * 10 });
    expect(result.failedTenantIds).toHaveLength(failing);
    expect(new Set(result.failedTenantIds)).toEqual(new Set(input.tenants.filter((t) => t.tenantId.endsWith('7')).map((t) => t.tenantId)));
    expect(result.failed.length).toBe(Math.min(FAILED_SAMPLE, failing));
    expect(result.succeeded.length).toBe(Math.min(SUCCEEDED_SAMPLE, N - failing));
    expect(result.failed.every((f) => (f.error ?? '').length <= ERROR_TEXT_LIMIT && f.errorType === 'SourceMissing')).toBe(true);
    expect(result.truncated).toBe(N > SUCCEEDED_SAMPLE);
    // The whole result is small (the full outcome lists were about 2.3 MB at 10,000 tenants).
    expect(JSON.stringify(result).length).toBeLessThan(300_000);
    expect(progressSeen).toBeGreaterThan(0);
    expect(maxTenantsInProgress).toBeLessThanOrEqual(MAX_PROGRESS_TENANTS);
    // It continued as new (200 starts per run), and no run's input (manifest + carry) grew with the outcomes.
    const d = await handle.describe();
    expect(d.runId).not.toBe(handle.firstExecutionRunId);
    const history = await env.client.workflow.getHandle('wave-scale', d.runId).fetchHistory();
    const payloads = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
    const carryBytes = payloads[1]!.data!.length;
    expect(carryBytes).toBeLessThan(200_000);
    console.log(`scale: ${N} tenants; result ${JSON.stringify(result).length} B; last carry ${carryBytes} B; manifest ${payloads[0]!.data!.length} B`);
  }, 1_800_000);
});
