import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PG_ADMIN_URL } from './pg';

const root = resolve(__dirname, '..', '..');

/** A worker config for tests: the local PostgreSQL under two names, plus a server nobody listens on. */
export function writeTestConfig(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tmig-test-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({
    servers: {
      local: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 2 },
      target: { kind: 'postgres', url: PG_ADMIN_URL, maxConcurrency: 2 },
      unreachable: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/postgres' },
    },
    workDir: join(dir, 'work'),
    reports: { dir: join(dir, 'reports') },
    unreachableAttempts: 2,
    ...extra,
  }, null, 2));
  return path;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts a real worker process (the same entry point operators run) and waits until it polls. */
export async function startWorker(address: string, configPath: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/workers/main.ts')], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', MIGRATOR_CONFIG: configPath, LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`worker did not start in 120 s:\n${out}`)), 120_000);
    const check = () => {
      if (out.includes('tmig worker ready')) { clearTimeout(timer); res(); }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`worker exited with ${code}:\n${out}`)); });
  });
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
