/**
 * Nightly (or any cron) waves as Temporal Schedules. Each schedule starts `migrationWave` with a
 * manifest's input. Overlap policy SKIP: while one run of the wave is still going, the next fire is
 * skipped, so two copies of the same wave never run. The workflow id is fixed per schedule
 * (Temporal appends the scheduled time), and a catch-up window bounds how late a missed fire
 * (server down at 02:00) may still start.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  type Client, type ScheduleDescription, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleSummary,
} from '@temporalio/client';
import { type Duration, msToNumber } from '@temporalio/common/lib/time';
import { waveSchema } from '../contract/manifestSchema';
import { formatZodError } from '../contract/formatZodError';
import { BadInputError } from '../contract/failures';
import { TASK_QUEUE, WorkflowType, waveWorkflowId } from '../contract/names';
import type { MigrationWaveInput } from '../contract/migration';

export const WAVE_WORKFLOW_TYPE = WorkflowType.migrationWave;
export const DEFAULT_WAVE_CRON = '0 2 * * *';
export const DEFAULT_CATCHUP_WINDOW = '2 hours';

export interface WaveScheduleSpec {
  scheduleId: string;
  wave: MigrationWaveInput;
  /** Cron expressions (default nightly at 02:00). */
  cron?: string[];
  /** IANA time zone the cron is read in (default UTC). */
  timezone?: string;
  /** How late a missed fire may still start, as a Temporal duration ('2 hours', '30m'). */
  catchupWindow?: string;
  paused?: boolean;
  note?: string;
}

export interface WaveScheduleInfo {
  scheduleId: string;
  waveId?: string;
  workflowType?: string;
  paused: boolean;
  note?: string;
  cron: string[];
  timezone?: string;
  nextRuns: string[];
  recentRuns: { scheduledAt: string; workflowId: string; runId: string }[];
}

/** Workflow id of the runs a schedule starts (Temporal suffixes it with the scheduled time). */
export function scheduledWaveWorkflowId(waveId: string): string {
  return waveWorkflowId(waveId);
}

const scheduleIdPattern = /^[A-Za-z0-9_.-]{1,200}$/;

/** Reads a wave manifest (JSON or YAML) and validates it with the schema the workflow uses. */
export function loadWaveManifest(path: string): MigrationWaveInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`manifest ${path}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new BadInputError(`manifest ${path}: not valid JSON/YAML: ${(err as Error).message}`);
  }
  const parsed = waveSchema.safeParse(raw);
  if (!parsed.success) throw new BadInputError(`manifest ${path}: ${formatZodError(parsed.error)}`);
  return parsed.data as MigrationWaveInput;
}

function durationMs(text: string, what: string): number {
  try {
    const ms = msToNumber(text as Duration);
    if (ms > 0) return ms;
  } catch {
    // fall through to the error below
  }
  throw new BadInputError(`${what}: "${text}" is not a positive duration (e.g. "2 hours", "30m")`);
}

export async function createWaveSchedule(client: Client, spec: WaveScheduleSpec): Promise<void> {
  if (!scheduleIdPattern.test(spec.scheduleId)) {
    throw new BadInputError(`schedule id "${spec.scheduleId}": use letters, digits, _ . - (at most 200)`);
  }
  const parsed = waveSchema.safeParse(spec.wave);
  if (!parsed.success) throw new BadInputError(`schedule ${spec.scheduleId}: wave input: ${formatZodError(parsed.error)}`);
  const cronExpressions = spec.cron?.length ? spec.cron : [DEFAULT_WAVE_CRON];
  for (const expr of cronExpressions) {
    // The server checks the details; this catches what is plainly not a cron line (5-7 fields or @daily...).
    if (!/^(@[a-z]+|(\S+\s+){4,6}\S+)$/.test(expr.trim())) {
      throw new BadInputError(`schedule ${spec.scheduleId}: --cron "${expr}" is not a cron expression (5 fields, e.g. "0 2 * * *")`);
    }
  }
  const timezone = spec.timezone ?? 'UTC';
  try {
    await client.schedule.create({
      scheduleId: spec.scheduleId,
      spec: { cronExpressions, timezone },
      action: {
        type: 'startWorkflow',
        workflowType: WAVE_WORKFLOW_TYPE,
        workflowId: scheduledWaveWorkflowId(spec.wave.waveId),
        taskQueue: TASK_QUEUE,
        args: [spec.wave],
      },
      policies: {
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: durationMs(spec.catchupWindow ?? DEFAULT_CATCHUP_WINDOW, `schedule ${spec.scheduleId}: catch-up window`),
      },
      // The server turns cron into calendar specs; keep the operator's text for `schedule list`.
      memo: { waveId: spec.wave.waveId, tenants: spec.wave.tenants.length, cron: cronExpressions, timezone },
      state: { paused: spec.paused ?? false, note: spec.note },
    });
  } catch (err) {
    // The client parses cron itself and throws TypeError for a field out of range ("61 2 * * *").
    if (err instanceof TypeError) throw new BadInputError(`schedule ${spec.scheduleId}: cron ${cronExpressions.join(', ')}: ${err.message}`);
    throw err;
  }
}

function summarize(s: ScheduleSummary | (ScheduleDescription & { scheduleId: string })): WaveScheduleInfo {
  const action = s.action as { workflowType?: string } | undefined;
  return {
    scheduleId: s.scheduleId,
    waveId: typeof s.memo?.waveId === 'string' ? s.memo.waveId : undefined,
    workflowType: action?.workflowType,
    paused: s.state.paused,
    note: s.state.note || undefined,
    cron: Array.isArray(s.memo?.cron) ? s.memo.cron.map(String) : [],
    timezone: typeof s.memo?.timezone === 'string' ? s.memo.timezone : undefined,
    nextRuns: s.info.nextActionTimes.map((d) => d.toISOString()),
    recentRuns: s.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId,
    })),
  };
}

/** Schedules that start migrationWave (others on the namespace are left out). */
export async function listWaveSchedules(client: Client): Promise<WaveScheduleInfo[]> {
  const found: WaveScheduleInfo[] = [];
  for await (const s of client.schedule.list()) {
    const info = summarize(s);
    if (info.workflowType === WAVE_WORKFLOW_TYPE) found.push(info);
  }
  return found.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export async function describeWaveSchedule(client: Client, scheduleId: string): Promise<WaveScheduleInfo & { runningWorkflowIds: string[] }> {
  const d = await client.schedule.getHandle(scheduleId).describe();
  return {
    ...summarize({ ...d, scheduleId }),
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

export async function pauseWaveSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).pause(note ?? 'paused with tmig');
}

export async function unpauseWaveSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).unpause(note ?? 'unpaused with tmig');
}

/** Runs the wave now; still SKIP: if a run of this wave is going, nothing starts. */
export async function triggerWaveSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}

export async function deleteWaveSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).delete();
}

export { ScheduleNotFoundError };
