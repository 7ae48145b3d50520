/**
 * Starts a local FerretDB (MongoDB wire protocol on SQLite, data under `.tmig/`) on a free port,
 * for tests, the demo and the bench. `MONGO_URL` skips it and uses that server instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from '../freePort';

export const FERRETDB_VERSION = 'v1.24.2';

export function ferretdbPath(): string {
  const cache = process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin');
  return process.env.FERRETDB_PATH ?? join(cache, `ferretdb-${FERRETDB_VERSION}`);
}

export interface MongoServer {
  url: string;
  /** The FerretDB process started here (absent for MONGO_URL): the bench reads its peak RSS. */
  pid?: number;
  stop(): Promise<void>;
}

export interface MongoServerOptions {
  /**
   * Keep the SQLite data in this directory (created if missing) and leave it there on stop: a bench
   * reuses a loaded data set. Default: a fresh directory under `.tmig/`, removed on stop.
   */
  dataDir?: string;
}

export async function startMongoServer(name = 'ferretdb', opts: MongoServerOptions = {}): Promise<MongoServer> {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, stop: async () => undefined };
  const bin = ferretdbPath();
  if (!existsSync(bin)) throw new Error(`FerretDB not found at ${bin}: run \`node scripts/setup.mjs\` (it builds it), or set MONGO_URL`);
  const port = await freePort();
  const dir = resolve('.tmig', `${name}-${port}-${process.pid}`);
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(dir, 'state'), { recursive: true });
  const child: ChildProcess = spawn(bin, [
    '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--state-dir=${join(dir, 'state')}`,
    `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--debug-addr=-', '--log-level=error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const url = `mongodb://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}: ${err}`);
    try {
      const c = await MongoClient.connect(url, { serverSelectionTimeoutMS: 500 });
      await c.db('admin').command({ ping: 1 });
      await c.close();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`FerretDB did not answer on ${url}: ${(e as Error).message} ${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
