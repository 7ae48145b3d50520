/**
 * Where a tenant's wall time goes, from the histories `BENCH_HISTORY_DIR` dumped: for each history,
 * every event with its offset from the run's start and from the previous event, and totals of the
 * time spent between a workflow task being scheduled and started (server dispatch) and in the
 * worker (started → completed).
 *
 *   BENCH_HISTORY_DIR=/tmp/h npm run bench -- --scale small --only raw-pipe,tmig
 *   npx tsx bench/timeline.ts /tmp/h
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LocalActivityMarker {
  activity_type?: string;
  original_schedule_time?: { seconds: number; nanos?: number };
}

interface RawEvent { eventId: string | number; eventTime: string | { seconds: string | number; nanos?: number }; eventType: string | number; [k: string]: unknown }

const ms = (t: RawEvent['eventTime']): number => (typeof t === 'string'
  ? Date.parse(t)
  : Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));

/** EventType names without their prefix (histories fetched by the SDK carry numbers or enum names). */
function typeName(e: RawEvent): string {
  const keys = Object.keys(e).filter((k) => k.endsWith('EventAttributes') && e[k]);
  if (keys.length) return keys[0].replace(/EventAttributes$/, '');
  return String(e.eventType);
}

/** What an event names (activity, signal, local activity with its schedule time since `t0`, workflow type). */
function detail(e: RawEvent, name: string, t0: number): string {
  const a = e[`${name}EventAttributes`] as Record<string, unknown> | undefined;
  if (!a) return '';
  const at = a.activityType as { name?: string } | undefined;
  if (at?.name) return at.name;
  if (typeof a.signalName === 'string') return a.signalName;
  if (typeof a.markerName === 'string') {
    const details = a.details as Record<string, { payloads?: { data?: unknown }[] }> | undefined;
    const data = details?.data?.payloads?.[0]?.data;
    if (typeof data === 'string') {
      try {
        const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as LocalActivityMarker;
        if (parsed.activity_type) {
          // The marker is written when its workflow task completes; when it was scheduled is in it.
          // (Its complete_time is not a wall-clock end comparable with that: not shown.)
          const at = parsed.original_schedule_time ? ` at ${ms(parsed.original_schedule_time) - t0} ms` : '';
          return `${parsed.activity_type} (local, scheduled${at})`;
        }
      } catch { /* not JSON: the marker's name is enough */ }
    }
    return a.markerName;
  }
  const wt = a.workflowType as { name?: string } | undefined;
  if (wt?.name) return wt.name;
  return '';
}

function main(dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: RawEvent[] };
    const events = history.events;
    const t0 = ms(events[0].eventTime);
    let prev = t0;
    let dispatch = 0;
    let inWorker = 0;
    let wfts = 0;
    let scheduledAt = 0;
    let startedAt = 0;
    console.log(`\n== ${file} (${events.length} events, ${ms(events[events.length - 1].eventTime) - t0} ms)`);
    for (const e of events) {
      const t = ms(e.eventTime);
      const name = typeName(e);
      if (name === 'workflowTaskScheduled') scheduledAt = t;
      if (name === 'workflowTaskStarted') { startedAt = t; dispatch += t - scheduledAt; wfts++; }
      if (name === 'workflowTaskCompleted') inWorker += t - startedAt;
      console.log(`${String(t - t0).padStart(6)} ${`+${t - prev}`.padStart(6)}  ${name} ${detail(e, name, t0)}`);
      prev = t;
    }
    console.log(`workflow tasks ${wfts}: ${dispatch} ms scheduled→started, ${inWorker} ms started→completed`);
  }
}

main(process.argv[2] ?? process.env.BENCH_HISTORY_DIR ?? '.');
