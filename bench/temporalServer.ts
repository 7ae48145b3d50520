import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../src/engines/freePort';

export const TEMPORAL_BIN = process.env.TMIG_TEMPORAL_BIN
  ?? join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal');

/** Search attributes the tenant workflows keep current (DESIGN: observable state). */
const SEARCH_ATTRIBUTES = ['TenantId=Keyword', 'WaveId=Keyword', 'MigrationPhase=Keyword', 'TmigRole=Keyword'];

export interface DevServer {
  address: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts an in-memory Temporal dev server on free ports and waits until it answers. */
export async function startDevServer(log: (m: string) => void): Promise<DevServer> {
  if (!existsSync(TEMPORAL_BIN)) throw new Error(`Temporal CLI not found at ${TEMPORAL_BIN} (run npm run setup)`);
  const [port, uiPort] = [await freePort(), await freePort()];
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'error',
    ...SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', sa])];
  const child = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-4000); });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with ${child.exitCode}: ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server on ${address} did not answer within 60 s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  log(`Temporal dev server on ${address}`);
  return {
    address,
    namespace: 'default',
    process: child,
    stop: () => stopProcess(child),
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
