/**
 * `tmig doctor` against real parts: the local PostgreSQL (a superuser and a plain role), a port
 * nobody listens on, a real Temporal dev server with and without tmig's search attributes, a real
 * worker process, real directories. Each check is shown passing and failing, and the exit codes
 * are the documented ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal, temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { PG_ADMIN_URL, withDb } from '../helpers/pg';
import { runDoctor } from '../../src/doctor/runDoctor';
import { checkConfig } from '../../src/doctor/configCheck';
import { checkDirectory } from '../../src/doctor/diskCheck';
import { checkServer } from '../../src/doctor/serverChecks';
import { checkTools } from '../../src/doctor/toolChecks';
import { checkTemporal } from '../../src/doctor/temporalChecks';
import type { CheckResult } from '../../src/doctor/checkResult';
import { parseConfig } from '../../src/config/loadConfig';
import { msToTs } from '@temporalio/common/lib/time';
import { tmigInProcess } from '../helpers/tmigCli';

const plainRole = 'tmig_doctor_plain';
const find = (rs: CheckResult[], check: string, subject = '') => rs.filter((r) => r.check === check && r.subject.includes(subject));

describe.skipIf(!temporalCliPath())('tmig doctor', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess | undefined;
  let dir: string;
  const plainUrl = () => { const u = new URL(PG_ADMIN_URL); u.username = plainRole; u.password = ''; return u.toString(); };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tmig-doctor-'));
    await withDb('postgres', async (db) => {
      await db.query(`DROP ROLE IF EXISTS ${plainRole}`);
      await db.query(`CREATE ROLE ${plainRole} LOGIN NOSUPERUSER NOCREATEDB NOREPLICATION`);
    });
    env = await startTemporal();
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
    await withDb('postgres', (db) => db.query(`DROP ROLE IF EXISTS ${plainRole}`)).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const tmig = (args: string[], extraEnv: Record<string, string> = {}) => tmigInProcess(args, extraEnv);

  it('config: missing, invalid (field named), password variable unset, valid', () => {
    expect(checkConfig(undefined).results[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/MIGRATOR_CONFIG/) });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'servers:\n  a: { kind: oracle, url: x }\n');
    expect(checkConfig(bad).results[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/servers\.a\.kind/) });
    const pw = join(dir, 'pw.yaml');
    writeFileSync(pw, `servers:\n  a: { kind: postgres, url: "${PG_ADMIN_URL}", passwordEnv: TMIG_DOCTOR_NO_SUCH_VAR }\n`);
    expect(checkConfig(pw, {}).results).toContainEqual(expect.objectContaining({ status: 'fail', subject: 'a', message: expect.stringMatching(/TMIG_DOCTOR_NO_SUCH_VAR/) }));
    expect(checkConfig(pw, { TMIG_DOCTOR_NO_SUCH_VAR: 'x' }).results.map((r) => r.status)).toEqual(['ok']);
  });

  it('servers: reachable with privileges; unreachable named; a plain role lacks CREATEDB and REPLICATION', async () => {
    const cfg = parseConfig(JSON.stringify({ servers: {
      admin: { kind: 'postgres', url: PG_ADMIN_URL },
      plain: { kind: 'postgres', url: plainUrl() },
      down: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/postgres' },
      sqldown: { kind: 'mssql', url: 'mssql://sa@127.0.0.1:1/master?connectTimeout=2000' },
    } }), 'x.json');
    const admin = await checkServer('admin', cfg.servers.admin);
    expect(admin.results.map((r) => [r.check, r.status])).toEqual([['server', 'ok'], ['privileges', 'ok'], ['online', 'ok']]);
    expect(admin.facts.pgMajor).toBeGreaterThanOrEqual(12);

    const plain = await checkServer('plain', cfg.servers.plain);
    expect(find(plain.results, 'privileges')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/CREATEDB/) });
    expect(find(plain.results, 'online')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/REPLICATION/) });
    const strict = await checkServer('plain', cfg.servers.plain, { online: true });
    expect(find(strict.results, 'online')[0].status).toBe('fail');

    const down = await checkServer('down', cfg.servers.down, { timeoutMs: 2000 });
    expect(down.results).toEqual([expect.objectContaining({ status: 'fail', subject: 'down (postgres 127.0.0.1:1)', message: expect.stringMatching(/ECONNREFUSED/) })]);
    const sqldown = await checkServer('sqldown', cfg.servers.sqldown);
    expect(sqldown.results).toEqual([expect.objectContaining({ status: 'fail', subject: 'sqldown (mssql 127.0.0.1:1)', message: expect.stringMatching(/cannot connect/) })]);
  });

  it('disk: writable with space; below --min-free-gb warns; a path under a file fails', () => {
    expect(checkDirectory('workDir', join(dir, 'work', 'deeper'), 1024)).toMatchObject({ status: 'ok', message: expect.stringMatching(/GiB free .*created when first used/) });
    expect(checkDirectory('workDir', dir, 1024 ** 5)).toMatchObject({ status: 'warn', message: expect.stringMatching(/below/) });
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(checkDirectory('reports', join(file, 'reports'), 0)).toMatchObject({ status: 'fail', message: expect.stringMatching(/is a file/) });
  });

  it('tools: pg_dump present and new enough; missing; older than a server', async () => {
    const cfg = parseConfig(JSON.stringify({ servers: { admin: { kind: 'postgres', url: PG_ADMIN_URL } } }), 'x.json');
    const { facts } = await checkServer('admin', cfg.servers.admin);
    const good = await checkTools(cfg, [facts]);
    expect(find(good, 'tools', 'pg_dump vs admin')[0].status).toBe('ok');
    const missing = await checkTools(cfg, [facts], join(dir, 'no-pg_dump'));
    expect(find(missing, 'tools', 'pg_dump')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/not installed/) });
    // An old client: a pg_dump that reports major version 9 (what an outdated postgresql-client prints).
    const old = join(dir, 'pg_dump_old');
    writeFileSync(old, '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    chmodSync(old, 0o755);
    const older = await checkTools(cfg, [facts], old);
    expect(find(older, 'tools', 'pg_dump vs admin')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/pg_dump 9 cannot dump PostgreSQL \d+/) });
  });

  it('temporal: unreachable; reachable with search attributes; unknown namespace; namespace without them; worker pollers', async () => {
    const down = await checkTemporal({ address: '127.0.0.1:1' });
    expect(down[0]).toMatchObject({ check: 'temporal', status: 'fail', message: expect.stringMatching(/cannot connect/) });

    const noWorker = await checkTemporal({ address: env.address });
    expect(find(noWorker, 'temporal')[0].status).toBe('ok');
    expect(find(noWorker, 'search-attributes').map((r) => [r.subject, r.status])).toEqual([['TenantId', 'ok'], ['WaveId', 'ok'], ['MigrationPhase', 'ok'], ['TmigRole', 'ok']]);
    expect(find(noWorker, 'workers').map((r) => r.status)).toEqual(['warn', 'warn']);

    expect(find(await checkTemporal({ address: env.address, namespace: 'tmig-no-such-ns' }), 'temporal')[0])
      .toMatchObject({ status: 'fail', message: expect.stringMatching(/namespace tmig-no-such-ns does not exist/) });

    await env.client.workflowService.registerNamespace({ namespace: 'tmig-bare', workflowExecutionRetentionPeriod: msToTs('1 day') });
    const bare = await checkTemporal({ address: env.address, namespace: 'tmig-bare' });
    expect(find(bare, 'search-attributes', 'WaveId')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/search-attribute create --namespace tmig-bare --name WaveId --type Keyword/) });

    worker = await startWorker(env.address, writeTestConfig());
    // Each queue shows its poller once that worker's first long poll reaches the server; the heavy
    // worker starts a moment after the light one, so look again for a while before judging.
    const pollers = async () => find(await checkTemporal({ address: env.address }), 'workers').map((r) => [r.subject, r.status]);
    let seen = await pollers();
    for (let i = 0; i < 60 && seen.some(([, s]) => s !== 'ok'); i++) {
      await new Promise((r) => setTimeout(r, 500));
      seen = await pollers();
    }
    expect(seen).toEqual([['migrations', 'ok'], ['migrations-heavy', 'ok']]);
  });

  it('the command: exit 0 when all pass, 1 naming the failing server, 1 on warnings with --strict, 2 on bad usage', async () => {
    const cfgPath = join(dir, 'ok.json');
    writeFileSync(cfgPath, JSON.stringify({ servers: { admin: { kind: 'postgres', url: PG_ADMIN_URL } }, workDir: join(dir, 'w'), reports: { dir: join(dir, 'r') } }));
    const good = await tmig(['--address', env.address, 'doctor', '--config', cfgPath, '--min-free-gb', '0']);
    expect(good.stdout).toMatch(/0 failed/);
    expect(good.code).toBe(0);

    const strict = await tmig(['--address', env.address, 'doctor', '--config', cfgPath, '--min-free-gb', '1000000', '--strict', '--json']);
    const doc = JSON.parse(strict.stdout) as { ok: boolean; results: CheckResult[] };
    expect(doc.results.some((r) => r.check === 'disk' && r.status === 'warn')).toBe(true);
    expect(strict.code).toBe(1);

    const badPath = join(dir, 'down.json');
    writeFileSync(badPath, JSON.stringify({ servers: { admin: { kind: 'postgres', url: PG_ADMIN_URL }, 'pg-east': { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/postgres' } } }));
    const bad = await tmig(['--address', env.address, 'doctor', '--config', badPath, '--min-free-gb', '0']);
    expect(bad.stdout).toMatch(/FAIL\s+server\s+pg-east \(postgres 127\.0\.0\.1:1\): cannot connect/);
    expect(bad.code).toBe(1);

    // MIGRATOR_CONFIG is the default config; Temporal settings come from the environment.
    const viaEnv = await tmig(['doctor', '--min-free-gb', '0', '--json'], { MIGRATOR_CONFIG: cfgPath, TEMPORAL_ADDRESS: env.address });
    expect(viaEnv.code).toBe(0);
    expect((await runDoctor({ configPath: cfgPath, temporal: { address: env.address }, minFreeBytes: 0 })).filter((r) => r.status === 'fail')).toEqual([]);

    expect((await tmig(['doctor', '--min-free-gb', 'lots'])).code).toBe(2);
    expect((await tmig(['doctor', '--no-such-flag'])).code).toBe(2);
  });
});
