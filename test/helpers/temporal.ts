import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes';

/** The real Temporal CLI dev server, built by `npm run setup` into the tool cache. */
export function temporalCliPath(): string | undefined {
  const candidates = [process.env.TEMPORAL_CLI_PATH, join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  // The SDK gives the dev server 5 s to listen; on a machine loaded by parallel suites it can
  // take longer, so a start that timed out is tried again (each try on a fresh port).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalOnce();
    } catch (err) {
      if (attempt >= 4 || !/did not start within/.test(String((err as Error)?.message))) throw err;
    }
  }
}

function startTemporalOnce(): Promise<TestWorkflowEnvironment> {
  const path = temporalCliPath();
  return TestWorkflowEnvironment.createLocal({
    server: {
      // Without a built CLI the SDK downloads the dev server (needs internet).
      executable: path ? { type: 'existing-path', path } : { type: 'cached-download' },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });
}
