import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal } from './temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from './worker';

/** A real Temporal dev server plus one real worker process: what every end-to-end test runs on. */
export interface Stack {
  env: TestWorkflowEnvironment;
  worker: WorkerProcess;
  configPath: string;
  stop: () => Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const env = await startTemporal();
  const configPath = writeTestConfig();
  try {
    const worker = await startWorker(env.address, configPath);
    return {
      env, worker, configPath,
      stop: async () => {
        await worker.stop();
        await env.teardown();
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}
