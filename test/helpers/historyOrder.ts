import type { temporal } from '@temporalio/proto';
import { governorWorkflowId } from '../../src/contract/governorProtocol';
import { targetLockPool } from '../../src/workflows/targetLock';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Index of the first event scheduling activity `type` (-1 when none). */
export function activityScheduledAt(events: HistoryEvent[], type: string): number {
  return events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
}

/** Index of the event completing the first scheduled activity `type` (-1 when none). */
export function activityCompletedAt(events: HistoryEvent[], type: string): number {
  const scheduled = events[activityScheduledAt(events, type)];
  if (!scheduled) return -1;
  return events.findIndex((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId));
}

/** Index of the signal that hands the target-lock permit back to its governor (-1 when none). */
export function targetLockReleasedAt(events: HistoryEvent[], target: { server: string; database: string }): number {
  const governor = governorWorkflowId(targetLockPool(target));
  return events.findIndex((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'release'
    && e.signalExternalWorkflowExecutionInitiatedEventAttributes.workflowExecution?.workflowId === governor);
}
