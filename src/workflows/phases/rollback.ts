/**
 * After a cutover, until the operator decides: the reverse stream (target → source) keeps the
 * source current. `cutover-confirm` drops both slots and publications; `rollback` freezes the
 * target, drains, syncs sequences, runs the switch hook with "source" and opens the source.
 */
import { workflowNow } from '../clock';
import { onlineSteps, setStreamState, streamSlice, type OnlineContext } from './onlineContext';

export async function runRollbackWindow(ctx: OnlineContext): Promise<'confirmed' | 'rolled-back'> {
  ctx.enter('rollback-window');
  setStreamState(ctx, 'rollback-window');
  ctx.requests.cutover = null;
  for (;;) {
    if (ctx.requests.confirm) {
      await onlineSteps.dropChangeCapture(ctx.ref, ['forward', 'reverse']);
      ctx.streams = { forward: false, reverse: false };
      setStreamState(ctx, 'confirmed');
      return 'confirmed';
    }
    if (ctx.requests.rollback) {
      await rollBack(ctx);
      return 'rolled-back';
    }
    await streamSlice(ctx, { direction: 'reverse', budgetMs: ctx.online.sliceSeconds * 1000 });
  }
}

async function rollBack(ctx: OnlineContext): Promise<void> {
  ctx.enter('rollback');
  setStreamState(ctx, 'rolling-back');
  const now = () => workflowNow().getTime();
  const steps: { step: string; ms: number; detail?: string }[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> => {
    const t0 = now();
    try {
      const r = await fn();
      steps.push({ step: name, ms: now() - t0, ...(detail ? { detail: detail(r) } : {}) });
      return r;
    } catch (err) {
      throw new Error(`rollback step ${name} failed: ${(err as Error).message}`);
    }
  };
  await step('freeze-target', () => onlineSteps.freezeSide(ctx.ref, 'target'), (f) => `ended ${f.terminatedSessions} session(s)`);
  const frozenAt = now();
  await step('drain', async () => {
    const marker = `rollback:${ctx.tenantId}`;
    const markerLsn = await onlineSteps.writeDrainMarker(ctx.ref, 'reverse', marker);
    for (let i = 0; i < 10; i++) {
      const r = await streamSlice(ctx, { direction: 'reverse', budgetMs: 60_000, untilMarker: marker, markerLsn });
      if (r?.markerReached) return;
    }
    throw new Error('the reverse stream did not reach the drain marker');
  });
  await step('sync-sequences', () => onlineSteps.syncStreamSequences(ctx.ref, 'reverse'));
  await step('switch-hook', () => onlineSteps.runTenantSwitchHook(ctx.ref, 'source'), (r) => r.detail);
  await step('unfreeze-source', () => onlineSteps.unfreezeSide(ctx.ref, 'source'));
  ctx.writesOn = 'source';
  await step('drop-slots', () => onlineSteps.dropChangeCapture(ctx.ref, ['forward', 'reverse']));
  ctx.streams = { forward: false, reverse: false };
  ctx.result.rollback = { writeBlockedMs: now() - frozenAt, steps };
  setStreamState(ctx, 'rolled-back');
}
