import type { MeasuredRun } from '../measure';
import type { ToolName } from '../types';

export interface RunnerContext {
  jobs: number;
  /** Source and (existing, empty) target database names on the bench server. */
  source: string;
  target: string;
  /** Scratch directory for the tool (dump directories, work dirs); removed afterwards. */
  workDir: string;
  log: (message: string) => void;
}

export interface RunnerOutcome {
  /** Measured run of the tool (null when it could not run). */
  run: MeasuredRun | null;
  /** Set when the tool failed or ran in a noteworthy way. */
  note?: string;
  /** Extra tool-specific verification (e.g. tmig's own result); row counts are checked by the harness. */
  ok?: boolean;
  detail?: Record<string, unknown>;
}

export interface Runner {
  tool: ToolName;
  /** Null when the tool can run here, otherwise why not (printed in the results). */
  unavailable(): Promise<string | null>;
  run(ctx: RunnerContext): Promise<RunnerOutcome>;
}

/** Note for a measured run that exited badly: exit status and the tail of its output. */
export function failureNote(tool: string, run: MeasuredRun): string | undefined {
  if (run.exitCode === 0) return undefined;
  const why = run.signal ? `killed by ${run.signal}` : `exit status ${run.exitCode}`;
  const tail = run.outputTail.trim().split('\n').slice(-3).join(' | ');
  return `${tool} failed (${why}): ${tail}`;
}
