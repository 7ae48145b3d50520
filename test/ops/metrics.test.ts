/**
 * A worker started with METRICS_PORT serves one Prometheus endpoint with the migrator's metrics
 * and the Temporal runtime's own. Scraped during a real throttled wave: copy counters rise while
 * tenants copy, tenants per phase and permits per pool show the live state, and the totals at the
 * end equal what the targets' chunk records say. A tampered target moves the mismatch counter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal, temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import type { MigrationWaveInput, MigrationWaveResult } from '../../src/contract/migration';
import { freePort } from '../../src/engines/freePort';
import { scrape, sumOf, type Sample } from './promText';

const tenants = [{ id: 'm1', rows: 6_000 }, { id: 'm2', rows: 1_500 }];
const dbs = tenants.flatMap((t) => [`tmig_metrics_src_${t.id}`, `tmig_metrics_dst_${t.id}`]);

describe.skipIf(!temporalCliPath())('worker metrics on METRICS_PORT during a real wave', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  let port: number;

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await Promise.all(tenants.map((t) => createSampleTenant(PG_ADMIN_URL, `tmig_metrics_src_${t.id}`, t.rows)));
    env = await startTemporal();
    port = await freePort();
    const runtimePort = await freePort();
    worker = await startWorker(env.address, writeTestConfig(), { METRICS_PORT: String(port), TEMPORAL_METRICS_PORT: String(runtimePort), METRICS_CLUSTER_CACHE_MS: '300' });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await dropDatabases(...dbs);
  });

  it('serves the migrator and Temporal runtime metrics, moving while a wave copies', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const before = await scrape(port);
    expect(sumOf(before.samples, 'tmig_rows_copied_total')).toBe(0);

    const input: MigrationWaveInput = {
      waveId: 'metrics-wave',
      tenants: tenants.map((t) => ({
        tenantId: `metrics-${t.id}`,
        source: { server: 'local', database: `tmig_metrics_src_${t.id}` },
        target: { server: 'target', database: `tmig_metrics_dst_${t.id}` },
      })),
      options: { maxConcurrentTenants: 2, chunkRows: 400, tableConcurrency: 2, throttle: true },
    };
    const handle = await env.client.workflow.start('migrationWave', { taskQueue: 'migrations', workflowId: 'wave-metrics-wave', args: [input] });
    let finished = false;
    const done = handle.result().finally(() => { finished = true; }) as Promise<MigrationWaveResult>;
    const scrapes: Sample[][] = [];
    while (!finished) {
      scrapes.push((await scrape(port)).samples);
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await done;
    expect(result.failed).toEqual([]);
    const end = await scrape(port);

    // Rows rose through several values while the wave ran, not only at the end.
    const rowSeries = scrapes.map((s) => sumOf(s, 'tmig_rows_copied_total'));
    const distinct = [...new Set(rowSeries)];
    expect(distinct.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < rowSeries.length; i++) expect(rowSeries[i]).toBeGreaterThanOrEqual(rowSeries[i - 1]);
    // Tenants per phase and permits per pool showed the live state during the run.
    // (Any running phase: the gauge is read from visibility, cached 300 ms here, and a small wave
    // may pass through `copy` between two reads.)
    expect(Math.max(...scrapes.map((s) => sumOf(s, 'tmig_tenants')))).toBeGreaterThanOrEqual(1);
    expect(Math.max(...scrapes.map((s) => sumOf(s, 'tmig_permits_held', { pool: 'local' })))).toBeGreaterThanOrEqual(1);
    expect(Math.max(...scrapes.map((s) => sumOf(s, 'tmig_permit_limit', { pool: 'local' })))).toBe(2);

    // The totals equal the targets' own chunk records (rows, bytes, chunks).
    let rows = 0; let bytes = 0; let chunks = 0;
    for (const t of tenants) {
      const r = await withDb(`tmig_metrics_dst_${t.id}`, (db) => db.query<{ rows: string; bytes: string; n: string }>(
        'SELECT sum(rows)::text AS rows, sum(bytes)::text AS bytes, count(*)::text AS n FROM _tmig.chunk'));
      rows += Number(r.rows[0].rows); bytes += Number(r.rows[0].bytes); chunks += Number(r.rows[0].n);
    }
    const labels = { source_server: 'local', target_server: 'target' };
    expect(sumOf(end.samples, 'tmig_rows_copied_total', labels)).toBe(rows);
    expect(rows).toBe(result.succeeded.reduce((s, x) => s + (x.rowsCopied ?? 0), 0));
    expect(sumOf(end.samples, 'tmig_bytes_copied_total', labels)).toBe(bytes);
    expect(sumOf(end.samples, 'tmig_chunks_committed_total', labels)).toBe(chunks);
    expect(sumOf(end.samples, 'tmig_chunk_duration_seconds_count', labels)).toBeGreaterThanOrEqual(chunks);
    expect(sumOf(end.samples, 'tmig_validation_chunks_verified_total', labels)).toBe(chunks); // full validation
    expect(sumOf(end.samples, 'tmig_validation_mismatches_total', labels)).toBe(0);
    // After the wave no tenant is in any phase (once visibility and the read cache catch up).
    let running = sumOf(end.samples, 'tmig_tenants');
    for (let i = 0; i < 40 && running !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      running = sumOf((await scrape(port)).samples, 'tmig_tenants');
    }
    expect(running).toBe(0);
    // The Temporal runtime's own metrics come through the same endpoint.
    expect(sumOf(end.samples, 'tmig_temporal_runtime_metrics_up')).toBe(1);
    expect(end.samples.some((s) => s.name.startsWith('temporal_activity_execution_latency'))).toBe(true);
    expect(sumOf(end.samples, 'temporal_workflow_completed', { workflow_type: 'tenantMigration' })).toBe(2);
    expect(end.samples.some((s) => s.name === 'tmig_worker_process_resident_memory_bytes')).toBe(true);
    // Every metric the shipped Grafana dashboard queries is exported by the worker.
    const dashboard = readFileSync(join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards', 'tmig.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/\b((?:tmig|temporal)_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, '')));
    expect(used.size).toBeGreaterThanOrEqual(12);
    const exported = new Set([...end.text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('counts validation mismatches when a target was changed after the copy', async () => {
    await withDb('tmig_metrics_dst_m2', (db) => db.query(`UPDATE guests SET full_name = full_name || ' (edited)' WHERE id = (SELECT min(id) FROM guests)`));
    const before = sumOf((await scrape(port)).samples, 'tmig_validation_mismatches_total');
    const r = await env.client.workflow.execute('validateMigration', {
      taskQueue: 'migrations', workflowId: 'validate-metrics-m2',
      args: [{ source: { server: 'local', database: 'tmig_metrics_src_m2' }, target: { server: 'target', database: 'tmig_metrics_dst_m2' } }],
    }) as { validation: { ok: boolean } };
    expect(r.validation.ok).toBe(false);
    const after = sumOf((await scrape(port)).samples, 'tmig_validation_mismatches_total');
    expect(after).toBeGreaterThan(before);
  });
});
