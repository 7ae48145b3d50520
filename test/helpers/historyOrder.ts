import type { temporal } from '@temporalio/proto';
import { targetLockPool } from '../../src/workflows/targetLock';
import { poolOfGovernorWorkflowId } from '../../src/contract/governorProtocol';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The activity type an event starts: an activity's scheduled event, or the marker a local activity
 * records when it completes (short steps run as local activities since patch `short-steps-local`).
 */
export function startedActivityType(e: HistoryEvent): string | undefined {
  const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
  if (scheduled) return scheduled;
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  for (const p of marker.details?.data?.payloads ?? []) {
    try {
      const data = JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as { activity_type?: unknown };
      if (typeof data.activity_type === 'string') return data.activity_type;
    } catch {
      // not the marker's JSON
    }
  }
  return undefined;
}

/** Index of the first event scheduling activity `type`, or recording it as a local activity (-1 when none). */
export function activityScheduledAt(events: HistoryEvent[], type: string): number {
  return events.findIndex((e) => startedActivityType(e) === type);
}

/** Index of the event completing the first activity `type` (a local activity's marker is both; -1 when none). */
export function activityCompletedAt(events: HistoryEvent[], type: string): number {
  const at = activityScheduledAt(events, type);
  const scheduled = events[at];
  if (!scheduled) return -1;
  if (scheduled.markerRecordedEventAttributes) return at;
  return events.findIndex((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId));
}

/** Pools whose permits an event hands back: a `release` signal sent by the workflow, or a releasePermits local activity. */
export function releasedPools(e: HistoryEvent): string[] {
  const signal = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
  if (signal?.signalName === 'release') {
    const id = String(signal.workflowExecution?.workflowId ?? '');
    return [poolOfGovernorWorkflowId(id) ?? id];
  }
  if (startedActivityType(e) !== 'releasePermits') return [];
  const payload = e.markerRecordedEventAttributes?.details?.result?.payloads?.[0];
  if (!payload?.data) return [];
  const result = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { released?: { pool: string }[] };
  return (result.released ?? []).map((r) => r.pool);
}

/** Index of the event that hands the target-lock permit back to its governor (-1 when none). */
export function targetLockReleasedAt(events: HistoryEvent[], target: { server: string; database: string }): number {
  const pool = targetLockPool(target);
  return events.findIndex((e) => releasedPools(e).includes(pool));
}

/** Indexes of the events handing a server pool's permit back to its governor (pool = server name). */
export function poolReleasesAt(events: HistoryEvent[], pool: string): number[] {
  return events.flatMap((e, i) => (releasedPools(e).includes(pool) ? [i] : []));
}

/** Workflow tasks started between two event indexes (0: both in one workflow task). */
export function workflowTasksBetween(events: HistoryEvent[], from: number, to: number): number {
  return events.slice(from + 1, to).filter((e) => e.workflowTaskStartedEventAttributes).length;
}
