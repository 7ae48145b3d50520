/**
 * What the Temporal UI shows for a real wave: tenant rows carry a static summary/details and a
 * memo (tenant, source → target, size, report), the wave and tenants have current details, and
 * the activity events read as the pipeline (`copy public.bookings range 1/2`). No password or URL
 * appears anywhere in that metadata. The new histories replay (older ones: test/replay).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { startStack, type Stack } from '../helpers/stack';
import { PG_ADMIN_URL, dropDatabases } from '../helpers/pg';
import { temporalCliPath } from '../helpers/temporal';
import { startedActivityType } from '../helpers/historyOrder';
import { createSampleTenant } from '../../src/demo/sampleTenant';

const dbs = ['tmig_ui_src', 'tmig_ui_dst', 'tmig_ui_dst_missing'];
const text = (p: temporal.api.common.v1.IPayload | null | undefined) => (p ? String(defaultPayloadConverter.fromPayload(p)) : undefined);

describe.skipIf(!temporalCliPath())('readable Temporal UI', () => {
  let stack: Stack;

  beforeAll(async () => {
    await dropDatabases(...dbs);
    await createSampleTenant(PG_ADMIN_URL, 'tmig_ui_src', 1200);
    stack = await startStack();
    await stack.env.client.workflow.execute('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-ui',
      args: [{
        waveId: 'ui',
        tenants: [
          { tenantId: 'ui-a', source: { server: 'local', database: 'tmig_ui_src' }, target: { server: 'target', database: 'tmig_ui_dst' },
            options: { chunkRows: 200, splitRowsThreshold: 500, rangesPerTable: 2 } },
          { tenantId: 'ui-missing', source: { server: 'local', database: 'tmig_ui_no_such_db' }, target: { server: 'target', database: 'tmig_ui_dst_missing' } },
        ],
        options: { throttle: true, maxConcurrentTenants: 2 },
      }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await dropDatabases(...dbs);
  });

  it('tenant workflows carry summary, details and memo with tenant, source → target, size and report', async () => {
    const d = await stack.env.client.workflow.getHandle('tenant-ui-a@ui').describe();
    expect(await d.staticSummary()).toBe('ui-a: local/tmig_ui_src → target/tmig_ui_dst');
    expect(await d.staticDetails()).toMatch(/\*\*Tenant\*\* `ui-a` · \*\*wave\*\* `ui`[\s\S]*\*\*Target\*\* `target\/tmig_ui_dst`/);
    expect(d.memo).toMatchObject({ tenantId: 'ui-a', waveId: 'ui', source: 'local/tmig_ui_src', target: 'target/tmig_ui_dst' });
    expect(d.memo!.rowsCopied).toBeGreaterThan(1200);
    expect(d.memo!.size).toMatch(/^\d+(\.\d)? (KB|MB)$/);
    expect(d.memo!.report).toMatch(/tenants\/ui-a\/(runs\/[^/]+\/)?report\.html$/);
    const failed = await stack.env.client.workflow.getHandle('tenant-ui-missing@ui').describe();
    expect(failed.memo!.report).toMatch(/tenants\/ui-missing\/(runs\/[^/]+\/)?report\.html$/);
  });

  it('current details of tenant and wave say where they stand', async () => {
    const tenant = await stack.env.client.workflow.getHandle('tenant-ui-a@ui').query(workflowMetadataQuery);
    expect(tenant.currentDetails).toMatch(/\*\*Phase\*\* done · \*\*tables\*\* (\d+)\/\1/);
    expect(tenant.currentDetails).toMatch(/\*\*Report\*\* `.*report\.html`/);
    const missing = await stack.env.client.workflow.getHandle('tenant-ui-missing@ui').query(workflowMetadataQuery);
    expect(missing.currentDetails).toMatch(/\*\*Phase\*\* failed[\s\S]*\*\*Last error\*\* .*tmig_ui_no_such_db/);
    const wave = await stack.env.client.workflow.getHandle('wave-ui').query(workflowMetadataQuery);
    expect(wave.currentDetails).toMatch(/tenants\*\* 2: 1 done, 1 failed, 0 running, 0 pending[\s\S]*\*\*Failed\*\* `ui-missing`[\s\S]*\*\*Report\*\*/);
    expect((await stack.env.client.workflow.getHandle('wave-ui').describe()).memo).toMatchObject({ waveId: 'ui', tenants: 2, succeeded: 1, failed: 1 });
  });

  it('activity events read as the pipeline and hold no secrets', async () => {
    const history = await stack.env.client.workflow.getHandle('tenant-ui-a@ui').fetchHistory();
    // Short steps (prepare, describe, plan, integrity, report, mark complete) are local activities:
    // their summary is on the marker each records.
    const started = (history.events ?? []).filter((e) => startedActivityType(e));
    const summaries = started.map((e) => text(e.userMetadata?.summary));
    const local = started.filter((e) => e.markerRecordedEventAttributes).map((e) => startedActivityType(e));
    expect(local).toEqual(expect.arrayContaining(['prepareTarget', 'describeSource', 'planCopy', 'checkTenantIntegrity', 'reportTenant', 'markTargetComplete']));
    expect(summaries).toContain('prepare target target/tmig_ui_dst');
    expect(summaries).toContain('describe source local/tmig_ui_src');
    expect(summaries).toContain('create schema (pre-data) in target/tmig_ui_dst');
    // bookings (1,200 rows) is split into two key ranges; the small tables (a few hundred rows in
    // all) copy in one call and validate in one call, not one per tableConcurrency.
    expect(summaries).toContain('copy public.bookings range 1/2');
    expect(summaries).toContain('copy public.bookings range 2/2');
    expect(summaries.filter((s) => /^copy \d+ small tables$/.test(s ?? ''))).toHaveLength(1);
    expect(summaries).toContain('validate public.bookings range 2/2');
    expect(summaries.filter((s) => /^validate \d+ tables \(/.test(s ?? ''))).toHaveLength(1);
    expect(summaries).toContain('post-data in target/tmig_ui_dst: indexes, constraints, sequences');
    expect(summaries).toContain('mark target/tmig_ui_dst complete');
    // Every activity has a summary, except the permit requests (ensureGovernorAndAcquire, a local
    // activity; histories from before asked through an unsummarized task-queue activity).
    expect(started.length).toBeGreaterThan(8);
    const unsummarized = started.filter((e) => !e.userMetadata?.summary).map((e) => startedActivityType(e));
    expect(unsummarized.filter((name) => name !== 'ensureGovernorAndAcquire')).toEqual([]);
    const all = JSON.stringify([summaries, await (await stack.env.client.workflow.getHandle('tenant-ui-a@ui').describe()).staticDetails()]);
    expect(all).not.toMatch(/postgres:\/\/|password|127\.0\.0\.1/);
  });

  it('the new histories, with user metadata and memo patches, replay with the current workflow code', async () => {
    // Histories recorded before the UI metadata existed are replayed by test/replay/recordedHistories.test.ts.
    const { Worker } = await import('@temporalio/worker');
    const { ensureWorkflowBundle } = await import('../../src/workers/workflowBundle');
    const histories = [];
    for (const id of ['wave-ui', 'tenant-ui-a@ui', 'tenant-ui-missing@ui']) {
      histories.push({ workflowId: id, history: temporal.api.history.v1.History.create(await stack.env.client.workflow.getHandle(id).fetchHistory() as never) });
    }
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: ensureWorkflowBundle() } }, histories)) {
      expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(3);
  });
});
