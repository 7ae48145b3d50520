import { spawn } from 'node:child_process';
import { TASK_QUEUE, WorkflowType } from '../contract/names';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from 'pg';
import { ALL_SEARCH_ATTRIBUTES } from '../contract/searchAttributes';
import { createSampleTenant } from './sampleTenant';
import type { MigrationWaveInput, MigrationWaveResult, TenantProgress, WaveProgress } from '../contract/migration';

/**
 * The embedded default: a local Temporal dev server (UI on 8233, state in .tmig/temporal.db),
 * the local PostgreSQL, six sample hotel tenants, a real worker process and one wave.
 */
const root = resolve(__dirname, '..', '..');
const pgUrl = process.env.DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const exitWhenDone = process.argv.includes('--exit') || process.env.CI === 'true';
const tenants = [
  { id: 'hotel01', rows: 2_000 }, { id: 'hotel02', rows: 8_000 }, { id: 'hotel03', rows: 20_000 },
  { id: 'hotel04', rows: 50_000 }, { id: 'hotel05', rows: 5_000 }, { id: 'hotel06', rows: 120_000 },
];

async function main(): Promise<void> {
  const stateDir = join(root, '.tmig');
  mkdirSync(stateDir, { recursive: true });
  const cli = join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal');
  console.log('Starting the Temporal dev server (UI http://localhost:8233) ...');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: existsSync(cli) ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ip: '127.0.0.1', port: 7233, ui: true, uiPort: 8233,
      dbFilename: join(stateDir, 'temporal.db'),
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });

  const configPath = join(stateDir, 'demo-config.json');
  writeFileSync(configPath, JSON.stringify({
    servers: {
      'demo-source': { kind: 'postgres', url: pgUrl, maxConcurrency: 3 },
      'demo-target': { kind: 'postgres', url: pgUrl, maxConcurrency: 3 },
    },
    workDir: join(stateDir, 'work'),
    reports: { dir: join(root, 'reports') },
  }, null, 2));

  console.log(`Creating ${tenants.length} sample tenant databases on ${new URL(pgUrl).host} ...`);
  for (const t of tenants) await createSampleTenant(pgUrl, `tmig_demo_src_${t.id}`, t.rows);
  await dropTargets(tenants.map((t) => `tmig_demo_dst_${t.id}`));

  const worker = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/workers/main.ts')], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MIGRATOR_CONFIG: configPath, TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'ERROR' },
  });
  const workerExited = new Promise((res) => worker.once('exit', res));
  await new Promise<void>((res, rej) => {
    worker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('tmig worker ready')) res(); });
    worker.stdout!.resume();
    worker.once('exit', (code) => rej(new Error(`worker exited with code ${code}`)));
  });

  const waveId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const input: MigrationWaveInput = {
    waveId,
    tenants: tenants.map((t) => ({
      tenantId: t.id,
      source: { server: 'demo-source', database: `tmig_demo_src_${t.id}` },
      target: { server: 'demo-target', database: `tmig_demo_dst_${t.id}` },
    })),
    options: { maxConcurrentTenants: 3, tableConcurrency: 2, chunkRows: 20_000 },
  };
  const handle = await env.client.workflow.start(WorkflowType.migrationWave, { taskQueue: TASK_QUEUE, workflowId: `wave-${waveId}`, args: [input] });
  console.log(`Started wave ${waveId} (workflow ${handle.workflowId}). Progress:`);

  const done = handle.result() as Promise<MigrationWaveResult>;
  let finished = false;
  done.finally(() => { finished = true; }).catch(() => undefined);
  while (!finished) {
    await new Promise((r) => setTimeout(r, 1500));
    if (finished) break;
    const wave = await handle.query<WaveProgress>('progress').catch(() => undefined);
    if (!wave) continue;
    const running = await Promise.all(wave.running.map((id) => env.client.workflow.getHandle(id).query<TenantProgress>('progress').catch(() => undefined)));
    const lines = running.filter((p): p is TenantProgress => !!p).map((p) =>
      `  ${p.tenantId.padEnd(12)} ${p.phase.padEnd(14)} tables ${p.tablesDone}/${p.tablesTotal} rows ${p.rowsCopied}/${p.rowsTotal} ${p.rowsPerSecond} rows/s`);
    const rows = wave.rowsCopied + running.reduce((s, p) => s + (p?.rowsCopied ?? 0), 0);
    console.log(`wave: ${wave.succeeded} ok, ${wave.failed.length} failed, ${wave.running.length} running, ${wave.pending} pending, ${rows} rows copied\n${lines.join('\n')}`);
  }
  const result = await done;
  console.log(`\nWave ${waveId}: ${result.succeeded.length} tenants migrated and validated, ${result.failed.length} failed.`);
  for (const f of result.failed) console.log(`  FAILED ${f.tenantId}: ${f.error}`);
  if (result.reportPath) console.log(`Wave report: ${result.reportPath}`);
  console.log(`Reports directory: ${join(root, 'reports')}`);
  console.log(`Temporal UI: http://localhost:8233/namespaces/default/workflows?query=WaveId%3D%22${waveId}%22`);
  console.log(`CLI: npx tmig status ${waveId}`);

  const stop = async () => {
    worker.kill('SIGTERM');
    await workerExited;
    await env.teardown();
    process.exit(result.failed.length ? 4 : 0);
  };
  if (exitWhenDone) return stop();
  console.log('\nThe Temporal dev server and the worker keep running so you can look around. Press Ctrl-C to stop.');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Each demo run starts from empty targets (a real wave would resume or skip completed ones). */
async function dropTargets(names: string[]): Promise<void> {
  const admin = new Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    for (const n of names) await admin.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
