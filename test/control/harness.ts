/** Shared setup for control tests: a real Temporal dev server and an in-process worker. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { governorActivities, setGovernorClient } from '../../src/activities/governorPermits';
import { TASK_QUEUE } from '../../src/contract/names';
import * as testActivities from './activities';
import { waitFor as waitUntil } from '../helpers/waitFor';

export const temporalBinary = process.env.TMIG_TEMPORAL_BIN ?? join(homedir(), '.cache', 'tmig', 'bin', 'temporal');
export const haveTemporal = existsSync(temporalBinary);
if (!haveTemporal) {
  console.warn(`\n*** SKIPPING control tests: Temporal CLI not found at ${temporalBinary} (run: npm run setup) ***\n`);
}

export interface Harness {
  env: TestWorkflowEnvironment;
  worker: Worker;
  address: string;
  stop: () => Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  // Quiet worker logs: failures show up as assertion messages.
  try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* already installed in this process */ }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary },
      // The project's custom search attributes (the CLI filters waves by WaveId).
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });
  setGovernorClient(env.client);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowsPath: join(__dirname, 'workflows.ts'),
    activities: { ...governorActivities, heavyWork: testActivities.heavyWork },
  });
  const running = worker.run();
  const address = env.address;
  return {
    env, worker, address,
    stop: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      setGovernorClient(undefined);
      await env.teardown();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The shared poll, with the arguments in the order these control suites were written with. */
export const waitFor = <T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> =>
  waitUntil(what, probe, { timeoutMs, everyMs: 100 });
