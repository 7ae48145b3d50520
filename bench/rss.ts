/** Parsers for the memory figures the kernel and GNU time report. Pure, so they are unit-tested. */

/** Reads a `Vm*` field (kB) from the text of /proc/<pid>/status; undefined when absent (e.g. a zombie). */
export function parseStatusKb(statusText: string, field: 'VmHWM' | 'VmRSS'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(statusText);
  return match ? Number(match[1]) : undefined;
}

/**
 * Reads the output file of `/usr/bin/time -f %M -o FILE`: the max RSS in kB. GNU time writes
 * "Command exited with non-zero status N" or "Command terminated by signal N" before the figure,
 * so the last line that is a bare number is taken.
 */
export function parseTimeMaxRssKb(text: string): number | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
  return lines.length ? Number(lines[lines.length - 1]) : undefined;
}

/** Child pids listed in /proc/<pid>/task/<tid>/children (space separated). */
export function parseChildren(text: string): number[] {
  return text.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}
