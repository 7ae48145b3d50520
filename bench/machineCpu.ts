/**
 * CPU time the whole machine spent during a measured run, from /proc/stat: the tool and all it
 * drives (for tmig its worker, the Temporal server and PostgreSQL; for the raw pipe psql, pg_dump
 * and PostgreSQL). On a machine that is already busy for the whole run, a tool that needs more CPU
 * for the same data cannot be faster; this says how much each needed. Background services (a few
 * hundredths of a core here) are in it too.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface CpuSnapshot { busy: number; idle: number }

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The machine's CPU time so far, in seconds (undefined where /proc/stat is not readable). */
export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu;
    const hz = clockTicks();
    return { busy: (user + nice + system + irq + softirq + (steal ?? 0)) / hz, idle: (idle + iowait) / hz };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the machine since `from` (undefined when either snapshot is missing). */
export function busyCpuSince(from: CpuSnapshot | undefined): number | undefined {
  const now = cpuSnapshot();
  return from && now ? now.busy - from.busy : undefined;
}
