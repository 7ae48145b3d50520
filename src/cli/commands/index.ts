import type { Command } from 'commander';
import { registerStart } from './start';
import { registerStatus } from './status';
import { registerPause } from './pause';
import { registerResume } from './resume';
import { registerCancel } from './cancel';
import { registerRetryFailed } from './retryFailed';
import { registerThrottle } from './throttle';
import { registerSchedule } from './schedule';
import { registerIntake } from './intake';
import { registerReport } from './report';
import { registerAssess } from './assess';
import { registerValidate } from './validate';

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerStart(program);
  registerStatus(program);
  registerPause(program);
  registerResume(program);
  registerCancel(program);
  registerRetryFailed(program);
  registerThrottle(program);
  registerSchedule(program);
  registerIntake(program);
  registerReport(program);
  registerAssess(program);
  registerValidate(program);
}
