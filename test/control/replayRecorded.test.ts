/**
 * Histories recorded with the workflow code from before this branch's changes (idle-ending
 * governors, per-wave tenant run ids) still replay with today's code: running workflows survive a
 * worker upgrade. The .binpb files are Temporal History protos recorded on a real dev server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ensureWorkflowBundle } from '../../src/workers/workflowBundle';

const fixtures = join(__dirname, '..', 'fixtures', 'histories');
const load = (file: string) => temporal.api.history.v1.History.decode(readFileSync(join(fixtures, file)));

describe('histories recorded before the run-identity and idle-governor changes', () => {
  it('governor and permit-holding tenant (stand-in) histories replay with the current governor and permits', async () => {
    const cases = [
      { file: 'governor-before-idle-exit.binpb', workflowId: 'governor-old-pool' },
      { file: 'tenant-permits-before-idle-exit.binpb', workflowId: 'tenant-o2' },
    ];
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowsPath: join(__dirname, 'workflows.ts') },
      cases.map((c) => ({ history: load(c.file), workflowId: c.workflowId })))) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${String(r.error.message).slice(0, 400)}`);
    }
    expect(replayed).toBe(2);
    // The governor history is long enough to have gone idle after granting all three permits.
    expect(load(cases[0].file).events!.length).toBeGreaterThan(40);
    expect(failures).toEqual([]);
  });

  it('a real wave and its tenants (one migrated, one failed) replay with the current workflows', async () => {
    const bundle = { codePath: ensureWorkflowBundle() };
    const cases = [
      { file: 'wave-before-run-ids.binpb', workflowId: 'wave-rec-wave' },
      { file: 'tenant-ok-before-run-ids.binpb', workflowId: 'tenant-rec1' },
      { file: 'tenant-failed-before-run-ids.binpb', workflowId: 'tenant-rec2' },
    ];
    for (const c of cases) {
      const history = load(c.file);
      expect(history.events!.length).toBeGreaterThan(10);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, c.workflowId);
    }
  }, 120_000);
});
