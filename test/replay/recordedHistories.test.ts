import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistoryFile } from './historyFile';

/**
 * Histories recorded by test/replay/recordHistories.ts with the workflow code from before the
 * restructure (issue 10), replayed by today's code: a change that breaks running workflows fails here.
 * No server is needed: the replayer runs the workflow code against each stored history.
 */
const dir = join(__dirname, 'histories');
const workflowIds: Record<string, string> = {
  'tenant-midcopy-paused': 'tenant-rec-midcopy',
  'tenant-complete-after-pause': 'tenant-rec-midcopy',
  wave: 'wave-rec-wave',
  'wave-tenant-audited': 'tenant-rec-a',
  'wave-tenant-split': 'tenant-rec-b',
  'wave-tenant-failed': 'tenant-rec-missing',
  'governor-local': 'governor-local',
};

describe('histories recorded before a change still replay', () => {
  it('has every recorded history on disk, including a tenant paused mid-copy', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual(Object.keys(workflowIds).sort());
    const midCopy = JSON.parse(readFileSync(join(dir, 'tenant-midcopy-paused.json'), 'utf8'));
    const types = (midCopy.events as { eventType: string }[]).map((e) => e.eventType);
    // Still running when recorded, with copy activities scheduled and the pause signal received.
    expect(types).not.toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(JSON.stringify(midCopy)).toContain('copyTableSlice');
    expect(types).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  });

  for (const [name, workflowId] of Object.entries(workflowIds)) {
    it(`replays ${name}`, async () => {
      const { Worker } = await import('@temporalio/worker');
      const { ensureWorkflowBundle } = await import('../../src/workers/workflowBundle');
      const history = readHistoryFile(join(dir, `${name}.json`));
      expect(history.events?.length).toBeGreaterThan(5);
      await Worker.runReplayHistory({ workflowBundle: { codePath: ensureWorkflowBundle() } }, history, workflowId);
    });
  }
});
