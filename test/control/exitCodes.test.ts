/**
 * Every tmig command ends with the documented exit code (0 ok, 1 failed, 2 usage or invalid input,
 * 3 not found, 4 migration failed), and errors name their innermost cause. In process, against a
 * real Temporal dev server and real PostgreSQL for the preflight; the waves are test stand-ins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTemporal, startHarness, waitFor, type Harness } from './harness';
import { resetRecords } from './activities';
import { PG_ADMIN_URL } from '../helpers/pg';
import { resetConfigCache } from '../../src/config/loadConfig';
import type { MigrationWaveInput } from '../../src/contract/migration';
import { tmigInProcess } from '../helpers/tmigCli';

function wave(waveId: string, tenantIds: string[], workMs: number, database = 'postgres'): MigrationWaveInput {
  return {
    waveId,
    tenants: tenantIds.map((tenantId) => ({
      tenantId, source: { server: 'src', database }, target: { server: 'dst', database: `t_${tenantId}` },
    })),
    options: { chunkRows: workMs },
  };
}

describe.skipIf(!haveTemporal)('exit codes of every command (real Temporal)', () => {
  let h: Harness;
  let dir: string;
  let config: string;
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'tmig-exit-'));
    const pg = new URL(PG_ADMIN_URL);
    config = file('config.yaml', `servers:\n  src:\n    kind: postgres\n    url: ${pg.protocol}//${pg.username || 'postgres'}@${pg.host}/postgres\n`
      + `  dst:\n    kind: postgres\n    url: ${pg.protocol}//${pg.username || 'postgres'}@${pg.host}/postgres\n`
      + '  sql1:\n    kind: mssql\n    url: mssql://sa@127.0.0.1:1/master\n');
    resetConfigCache();
  });
  afterAll(async () => {
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tmig = (...args: string[]) => tmigInProcess(['--address', h.address, ...args]);

  it('usage: no command, an unknown command or option, a missing argument: 2', async () => {
    expect((await tmig()).code).toBe(2);
    expect((await tmig('statsu', 'w')).code).toBe(2);
    expect((await tmig('status', 'w', '--bogus')).code).toBe(2);
    expect((await tmig('throttle', 'set', 'src')).code).toBe(2);
    expect((await tmig('--help')).code).toBe(0);
  });

  it('check: 0 when everything resolves; 2 listing every problem at once; 2 without a config', async () => {
    const good = file('good.json', wave('chk-ok', ['c1'], 10));
    const ok = await tmig('check', good, '--config', config);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('preflight ok');
    const bad = file('bad.json', {
      waveId: 'chk-bad', tenants: [
        { tenantId: 'b1', source: { server: 'srcc', database: 'x' }, target: { server: 'dst', database: 'tb1' } },
        { tenantId: 'b2', source: { server: 'src', database: 'tmig_no_such_source_db' }, target: { server: 'dst', database: 'tb2' } },
        { tenantId: 'b3', source: { server: 'src', database: 'postgres' }, target: { server: 'sql1', database: 'tb3' } },
        { tenantId: 'b4', source: { server: 'src', database: 'postgres' }, target: { server: 'nowhere', database: 'tb4' } },
      ],
    });
    const r = await tmig('check', bad, '--config', config);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tenants[0].source.server (tenant b1): server "srcc" is not in the worker config (did you mean "src"?)');
    expect(r.stderr).toContain('tenants[1].source.database (tenant b2): source database "tmig_no_such_source_db" does not exist on server "src"');
    expect(r.stderr).toContain('tenants[2].target.server (tenant b3): server "sql1" is of kind mssql; targets must be postgres');
    expect(r.stderr).toMatch(/tenants\[3\]\.target\.server \(tenant b4\): server "nowhere" is not in the worker config/);
    expect(r.stderr).toContain('4 problem(s)');
    const prev = process.env.MIGRATOR_CONFIG;
    delete process.env.MIGRATOR_CONFIG;
    try {
      expect((await tmig('check', good)).code).toBe(2);
    } finally {
      if (prev !== undefined) process.env.MIGRATOR_CONFIG = prev;
    }
    // start runs the same preflight and starts nothing.
    const s = await tmig('start', bad, '--config', config);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('nothing was started');
    await expect(h.env.client.workflow.getHandle('wave-chk-bad').describe()).rejects.toThrow();
  });

  it('start: 2 for a missing or invalid manifest, 0 started, 1 for a wave id that already ran unless --rerun, 4 with --wait and a failure', async () => {
    expect((await tmig('start', join(dir, 'missing.json'))).code).toBe(2);
    expect((await tmig('start', file('invalid.json', { waveId: 'x y', tenants: [] }))).code).toBe(2);
    const m = file('w-ok.json', wave('ec-ok', ['ok1'], 10));
    const first = await tmig('start', m, '--config', config, '--wait');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/wave ec-ok: 1 succeeded, 0 failed|wave ec-ok: 1 migrated/);
    const again = await tmig('start', m, '--config', config);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/wave ec-ok already ran \(COMPLETED.*--rerun/);
    const rerun = await tmig('start', m, '--config', config, '--rerun', '--wait');
    expect(rerun.code).toBe(0);
    const runs = await h.env.client.workflow.count('WorkflowId = "wave-ec-ok"');
    expect(runs.count).toBe(2);
    // The Temporal UI row of a wave started by `tmig start` reads as the wave, not only its id.
    const described = await h.env.client.workflow.getHandle('wave-ec-ok').describe();
    expect(await described.staticSummary()).toBe('wave ec-ok: 1 tenant');
    expect(await described.staticDetails()).toMatch(/^- \S+ → \S+: 1 tenant$/);
    const failing = await tmig('start', file('w-fail.json', wave('ec-fail', ['ok2', 'fail-3'], 10)), '--config', config, '--wait');
    expect(failing.code).toBe(4);
    expect(failing.stdout).toContain('FAILED fail-3');
  });

  it('status/pause/resume/cancel: 3 not found, 1 not running, 0 ok, 4 for a failed wave', async () => {
    for (const cmd of ['status', 'pause', 'resume', 'cancel']) expect((await tmig(cmd, 'no-such-wave')).code).toBe(3);
    for (const cmd of ['pause', 'resume', 'cancel']) expect((await tmig(cmd, 'ec-ok')).code).toBe(1);
    expect((await tmig('status', 'ec-ok', '--once')).code).toBe(0);
    expect((await tmig('status', 'ec-fail', '--once')).code).toBe(4);
    resetRecords();
    await h.env.client.workflow.start('migrationWave', { workflowId: 'wave-ec-run', taskQueue: 'migrations', args: [wave('ec-run', ['r1', 'r2'], 20_000)] });
    expect((await tmig('pause', 'ec-run')).code).toBe(0);
    expect((await tmig('resume', 'ec-run')).code).toBe(0);
    expect((await tmig('cancel', 'ec-run')).code).toBe(0);
  });

  it('retry-failed: 3 not found, 0 started, 1 while the previous retry of the wave still runs', async () => {
    expect((await tmig('retry-failed', 'no-such-wave')).code).toBe(3);
    await h.env.client.workflow.execute('migrationWave', { workflowId: 'wave-ec-r', taskQueue: 'migrations', args: [wave('ec-r', ['fail-a', 'fail-b'], 2500)] });
    // The stand-in wave's chunkRows is its tenants' work time: the retry runs long enough to overlap.
    const first = await tmig('retry-failed', 'ec-r');
    expect(first.code).toBe(0);
    const second = await tmig('retry-failed', 'ec-r');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('retry wave ec-r-retry-1 is still running');
    await h.env.client.workflow.getHandle('wave-ec-r-retry-1').result();
    expect((await tmig('retry-failed', 'ec-r', '--dry-run')).code).toBe(0);
  });

  it('throttle: pools come from the config (2 with "did you mean"), delete ends the override (3 when none runs)', async () => {
    const prev = process.env.MIGRATOR_CONFIG;
    delete process.env.MIGRATOR_CONFIG;
    try {
      expect((await tmig('throttle', 'set', 'src', '3')).code).toBe(2);
    } finally {
      if (prev !== undefined) process.env.MIGRATOR_CONFIG = prev;
    }
    const typo = await tmig('throttle', 'set', 'scr', '5', '--config', config);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('pool "scr" is not in the worker config (did you mean "src"?)');
    await expect(h.env.client.workflow.getHandle('governor-scr').describe()).rejects.toThrow();
    expect((await tmig('throttle', 'set', 'target.dst.x', '5', '--config', config)).code).toBe(2);
    expect((await tmig('throttle', 'set', 'restore-sql1', '1', '--config', config)).code).toBe(0);
    expect((await tmig('throttle', 'get', 'restore-sql1')).code).toBe(0);
    expect((await tmig('throttle', 'list', '--config', config)).code).toBe(0);
    expect((await tmig('throttle', 'delete', 'restore-sql1')).code).toBe(0);
    await waitFor(async () => (await h.env.client.workflow.getHandle('governor-restore-sql1').describe()).status.name === 'COMPLETED', 15_000, 'retired governor to end');
    expect((await tmig('throttle', 'delete', 'restore-sql1')).code).toBe(3);
    expect((await tmig('throttle', 'get', 'nobody')).code).toBe(3);
  });

  it('schedule: a bad cron is 2, a missing schedule 3, list 0', async () => {
    const m = file('sched.json', wave('ec-s', ['s1'], 10));
    const bad = await tmig('schedule', 'create', 'ec-sched', '--manifest', m, '--cron', 'every night');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a cron expression');
    const outOfRange = await tmig('--verbose', 'schedule', 'create', 'ec-sched', '--manifest', m, '--cron', '61 2 * * *');
    expect(outOfRange.code, outOfRange.stderr).toBe(2);
    expect((await tmig('schedule', 'describe', 'ec-none')).code).toBe(3);
    expect((await tmig('schedule', 'list')).code).toBe(0);
  });

  it('report, assess, validate, intake: 3 / 2 as documented', async () => {
    expect((await tmig('report', 'nothing-here', '--dir', dir)).code).toBe(3);
    expect((await tmig('report', 'bogus', '--schema')).code).toBe(2);
    expect((await tmig('assess', join(dir, 'no-script.sql'), '--out', join(dir, 'o'))).code).toBe(2);
    expect((await tmig('validate', '--source', 'nodb', '--target', 'dst/x')).code).toBe(2);
    expect((await tmig('validate', '--source', 'src/a', '--target', 'dst/x', '--mode', 'most')).code).toBe(2);
    expect((await tmig('intake', 'scan', '--bucket', 'b', '--pattern', '(', '--source-server', 'sql1', '--target-server', 'dst')).code).toBe(2);
  });
});
