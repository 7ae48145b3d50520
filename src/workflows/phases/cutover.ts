/**
 * The `cutover` phase: freeze the source (ending writers), drain the stream to a marker,
 * sync sequences, compare every table whole with the frozen source, start reverse
 * replication, run the switch hook, open the target. The write-blocked time is measured.
 * Any failing step puts writes back on the source and names the step; streaming goes on.
 */
import { workflowNow } from '../clock';
import { innermostMessage } from '../../contract/innermostMessage';
import type { CutoverAttempt } from '../../contract/online';
import type { FrozenTableCheck } from '../../activities/cdc';
import { onlineHeavy, onlineSteps, setStreamState, streamSlice, type OnlineContext } from './onlineContext';
import { withPermits } from '../permits';
import { runCdcPhase } from './cdc';
import { runRollbackWindow } from './rollback';
import type { TenantRun } from '../tenantRun';
import type { DescribeResult } from '../../activities/prepareTarget';

/**
 * After the copy: stream until a cutover is asked for; cut over (through the governor's
 * `cutover` pool, N tenants at a time), streaming on after a failed attempt; then hold the
 * rollback window until the operator confirms or rolls back.
 */
export async function streamAndCutOver(run: TenantRun, ctx: OnlineContext, described: DescribeResult): Promise<void> {
  ctx.copyEndedAt = workflowNow().getTime();
  await runCdcPhase(ctx);
  for (;;) {
    const cut = () => runCutover(ctx, described.tables.map((t) => t.table), run.opts.tableConcurrency);
    const attempt = run.opts.throttle
      ? await withPermits([{ pool: 'cutover', defaultLimit: ctx.online.cutoverConcurrency }], ctx.tenantId, cut)
      : await cut();
    if (attempt.ok) break;
    const msg = `cutover failed at step ${attempt.failedStep}: ${attempt.error}; writes are back on the source, streaming goes on`;
    run.progress.errors.push(msg);
    run.progress.lastError = msg;
    ctx.requests.cutover = null;
    await runCdcPhase(ctx);
  }
  ctx.result.outcome = await runRollbackWindow(ctx);
}

/** A drain that has not reached its marker after this many slices fails the cutover. */
const DRAIN_SLICES = 10;

export async function runCutover(ctx: OnlineContext, tables: string[], concurrency: number): Promise<CutoverAttempt> {
  ctx.enter('cutover');
  setStreamState(ctx, 'cutover');
  const attempt: CutoverAttempt = { ok: false, steps: [], writeBlockedMs: 0, terminatedSessions: 0, terminatedApplications: [] };
  const now = () => workflowNow().getTime();
  let frozenAt: number | undefined;
  let current = '';
  let reverseStarted = false;
  let hookRan = false;
  const step = async <T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> => {
    current = name;
    const t0 = now();
    const r = await fn();
    attempt.steps.push({ step: name, ms: now() - t0, ...(detail ? { detail: detail(r) } : {}) });
    return r;
  };
  try {
    const frozen = await step('freeze-source', () => onlineSteps.freezeSide(ctx.ref, 'source'),
      (f) => `ended ${f.terminatedSessions} session(s) still able to write${f.terminatedApplications.length ? ` (${f.terminatedApplications.join(', ')})` : ''}`);
    frozenAt = now();
    attempt.terminatedSessions = frozen.terminatedSessions;
    attempt.terminatedApplications = frozen.terminatedApplications;

    await step('drain', async () => {
      const marker = `cutover:${ctx.tenantId}:${ctx.result.cutovers.length + 1}`;
      const markerLsn = await onlineSteps.writeDrainMarker(ctx.ref, 'forward', marker);
      for (let i = 0; i < DRAIN_SLICES; i++) {
        const r = await streamSlice(ctx, { direction: 'forward', budgetMs: 60_000, untilMarker: marker, markerLsn });
        if (r?.markerReached) return;
      }
      throw new Error(`the stream did not reach the drain marker after ${DRAIN_SLICES} slices`);
    });

    await step('sync-sequences', () => onlineSteps.syncStreamSequences(ctx.ref, 'forward'), (r) => `${r.moved} sequence(s) moved`);

    await step('validate-foreign-keys', () => onlineSteps.validateDeferredForeignKeys(ctx.ref), (r) => `${r.validated} deferred foreign key(s) validated`);

    const checks = await step('final-validation', async () => {
      const queue = [...tables];
      const out: FrozenTableCheck[] = [];
      await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) out.push(await onlineHeavy.checkFrozenTable(ctx.ref, t));
      }));
      const bad = out.filter((c) => !c.ok);
      if (bad.length) {
        throw new Error(`target differs from the frozen source: ${bad.map((c) => `${c.table} (source ${c.sourceRows} rows, target ${c.targetRows}, checksum ${c.sourceChecksum} vs ${c.targetChecksum})`).join('; ')}`);
      }
      return out;
    }, (out) => `${out.length} table(s), ${out.reduce((s, c) => s + c.sourceRows, 0)} rows equal by checksum`);
    ctx.result.finalCheck = { tables: checks.length, rows: checks.reduce((s, c) => s + c.sourceRows, 0), ok: true, mismatches: [] };

    await step('start-reverse-replication', async () => {
      reverseStarted = true;
      ctx.streams.reverse = true;
      return onlineSteps.startReverseReplication(ctx.ref);
    });
    await step('switch-hook', async () => {
      hookRan = true;
      return onlineSteps.runTenantSwitchHook(ctx.ref, 'target');
    }, (r) => r.detail);
    await step('unfreeze-target', () => onlineSteps.unfreezeSide(ctx.ref, 'target'));
    attempt.writeBlockedMs = now() - frozenAt;
    ctx.writesOn = 'target';
    attempt.ok = true;
    // The forward slot has served its purpose: dropping it stops it holding source WAL and keeps the
    // reverse stream's writes into the source from echoing back.
    await onlineSteps.dropChangeCapture(ctx.ref, ['forward']);
    ctx.streams.forward = false;
    return attempt;
  } catch (err) {
    attempt.failedStep = current;
    attempt.error = innermostMessage(err);
    // Writes go back to the source; the target stays frozen and streaming resumes.
    if (hookRan) await onlineSteps.runTenantSwitchHook(ctx.ref, 'source').catch(() => undefined);
    await onlineSteps.freezeSide(ctx.ref, 'target').catch(() => undefined);
    if (reverseStarted) {
      await onlineSteps.dropChangeCapture(ctx.ref, ['reverse']).catch(() => undefined);
      ctx.streams.reverse = false;
    }
    if (frozenAt !== undefined) {
      await onlineSteps.unfreezeSide(ctx.ref, 'source');
      attempt.writeBlockedMs = now() - frozenAt;
    }
    ctx.writesOn = 'source';
    return attempt;
  } finally {
    ctx.result.cutovers.push(attempt);
    // The wave that asked for this cutover reads it from the next progress report (phase change).
    if (ctx.progress.cdc) {
      ctx.progress.cdc.lastCutover = {
        attempt: ctx.result.cutovers.length, ok: attempt.ok, writeBlockedMs: attempt.writeBlockedMs,
        ...(attempt.failedStep ? { failedStep: attempt.failedStep } : {}), ...(attempt.error ? { error: attempt.error.slice(0, 300) } : {}),
      };
    }
  }
}

