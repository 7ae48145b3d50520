import type { Command } from 'commander';
import { registerStart } from './startCommand';
import { registerStatus } from './statusCommand';
import { registerPause } from './pauseCommand';
import { registerResume } from './resumeCommand';
import { registerCancel } from './cancelCommand';
import { registerRetryFailed } from './retryFailedCommand';
import { registerRetry } from './retryCommand';
import { registerThrottle } from './throttleCommand';
import { registerSchedule } from './scheduleCommand';
import { registerIntake } from './intakeCommand';
import { registerReport } from './reportCommand';
import { registerAssess } from './assessCommand';
import { registerValidate } from './validateCommand';
import { registerDoctor } from './doctorCommand';
import { registerLazy } from './lazyCommand';
import { registerSplit } from './splitCommand';
import { registerCutover } from './cutoverCommand';
import { registerCdc } from './cdcCommand';
import { registerCheck } from './checkCommand';

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerStart(program);
  registerCheck(program);
  registerStatus(program);
  registerPause(program);
  registerResume(program);
  registerCancel(program);
  registerRetryFailed(program);
  registerRetry(program);
  registerThrottle(program);
  registerSchedule(program);
  registerIntake(program);
  registerReport(program);
  registerAssess(program);
  registerValidate(program);
  registerDoctor(program);
  registerLazy(program);
  registerSplit(program);
  registerCutover(program);
  registerCdc(program);
}
