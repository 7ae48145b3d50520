import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../src/engines/freePort';

/** The MinIO server built by `npm run setup` (scripts/tools.mjs) into the tool cache. */
export function minioPath(): string | undefined {
  const p = process.env.MINIO_PATH ?? join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'minio');
  return existsSync(p) ? p : undefined;
}

export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  client(): S3Client;
  stop(): Promise<void>;
}

/** Starts a real MinIO on a free loopback port with a temporary data directory; stop() kills it and removes the data. */
export async function startMinio(): Promise<MinioServer> {
  const bin = minioPath();
  if (!bin) throw new Error('minio binary not found (run npm run setup)');
  const dataDir = await mkdtemp(join(tmpdir(), 'tmig-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const accessKeyId = 'tmigtest';
  const secretAccessKey = 'tmigtest-secret-key';
  const child: ChildProcess = spawn(bin, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`minio exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`minio did not become ready on ${endpoint}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const clients: S3Client[] = [];
  return {
    endpoint, accessKeyId, secretAccessKey,
    client() {
      const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
