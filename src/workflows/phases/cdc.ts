/**
 * The `cdc` phase of an online tenant: after the copy, stream the slot's changes into the
 * target slice by slice (progress: lag, applied/s, last applied commit) until an operator
 * asks for a cutover and the lag is under the threshold. The target stays frozen for applications.
 */
import { workflowNow } from '../clock';
import { CancellationScope, log } from '@temporalio/workflow';
import { innermostMessage } from '../../contract/innermostMessage';
import { onlineSteps, setStreamState, streamSlice, type OnlineContext } from './onlineContext';

/** Before anything starts: a source that cannot be streamed (a table without key, wal_level) is refused. */
export async function refuseUnstreamable(ctx: OnlineContext): Promise<void> {
  await onlineSteps.checkOnlineSource(ctx.ref);
}

/** Before the first chunk is read: publication and slot, so every later change is captured. */
export async function captureChanges(ctx: OnlineContext): Promise<void> {
  await onlineSteps.prepareChangeCapture(ctx.ref);
  ctx.streams.forward = true;
}

/**
 * A failed or cancelled online tenant: no slot may outlive it (it would hold WAL), and writes
 * go back to the source unless the application already writes to the target.
 */
export async function releaseOnFailure(ctx: OnlineContext): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      if (ctx.writesOn === 'source') await onlineSteps.unfreezeSide(ctx.ref, 'source');
      await onlineSteps.dropChangeCapture(ctx.ref, ['forward', 'reverse']);
      ctx.streams = { forward: false, reverse: false };
      ctx.result.outcome = 'failed';
    } catch (err) {
      log.warn('could not drop the change capture', { error: innermostMessage(err) });
    }
  });
}

export async function runCdcPhase(ctx: OnlineContext): Promise<void> {
  ctx.enter('cdc');
  setStreamState(ctx, 'streaming');
  await onlineSteps.freezeSide(ctx.ref, 'target');
  for (;;) {
    const want = ctx.requests.cutover;
    const threshold = want?.lagThresholdSeconds ?? ctx.online.lagThresholdSeconds;
    // With a cutover waiting, short slices: the lag is re-measured often.
    const r = await streamSlice(ctx, { direction: 'forward', budgetMs: want ? 5_000 : ctx.online.sliceSeconds * 1000 });
    if (!r) continue;
    if (ctx.progress.cdc && ctx.progress.cdc.catchUpMs === undefined && r.lagSeconds <= ctx.online.lagThresholdSeconds && ctx.copyEndedAt !== undefined) {
      ctx.progress.cdc.catchUpMs = workflowNow().getTime() - ctx.copyEndedAt;
      ctx.result.catchUpMs = ctx.progress.cdc.catchUpMs;
    }
    if (want && r.lagSeconds <= threshold) return;
  }
}
