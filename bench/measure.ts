import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChildren, parseStatusKb, parseTimeMaxRssKb } from './rss';
import type { PeakMemory } from './types';
import { busyCpuSince, cpuSnapshot } from './machineCpu';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** The pid and all its live descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.includes(pid)) continue;
    seen.push(pid);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) queue.push(...parseChildren(readText(`/proc/${pid}/task/${tid}/children`) ?? ''));
  }
  return seen;
}

/**
 * Polls a process tree: the largest VmHWM of any process and the largest sum of VmRSS at one
 * instant. Short-lived children can be missed between samples; runMeasured adds GNU time's
 * ru_maxrss, which covers every reaped descendant, for the per-process peak.
 */
export class TreeSampler {
  private peakRssKb = 0;
  private treeRssKb = 0;
  /** Largest VmRSS of one process since the last resetWindow(): memory in use during a phase. */
  private windowRssKb = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly root: number, private readonly intervalMs = 100) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    let sum = 0;
    for (const pid of processTree(this.root)) {
      const status = readText(`/proc/${pid}/status`);
      if (!status) continue;
      this.peakRssKb = Math.max(this.peakRssKb, parseStatusKb(status, 'VmHWM') ?? 0);
      const rss = parseStatusKb(status, 'VmRSS') ?? 0;
      this.windowRssKb = Math.max(this.windowRssKb, rss);
      sum += rss;
    }
    this.treeRssKb = Math.max(this.treeRssKb, sum);
  }

  /** Current figures without stopping. */
  current(): PeakMemory & { windowRssKb: number } {
    return { peakRssKb: this.peakRssKb, treeRssKb: this.treeRssKb, windowRssKb: this.windowRssKb };
  }

  /** Starts a new window for the largest sampled VmRSS (e.g. after start-up, before the work). */
  resetWindow(): void {
    this.windowRssKb = 0;
  }

  stop(): PeakMemory {
    if (this.timer) clearInterval(this.timer);
    return { peakRssKb: this.peakRssKb, treeRssKb: this.treeRssKb };
  }
}

export interface MeasuredRun extends PeakMemory {
  seconds: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last part of stdout+stderr, for error messages. */
  outputTail: string;
  /** Busy CPU seconds of the whole machine while it ran (see machineCpu.ts). */
  machineCpuSeconds?: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Echo the tool's output while it runs. */
  verbose?: boolean;
}

const TAIL_CHARS = 4000;
const GNU_TIME = '/usr/bin/time';

/** Runs a command under `/usr/bin/time -f %M` and a tree sampler; resolves when it exits. */
export function runMeasured(command: string, args: string[], opts: RunOptions = {}): Promise<MeasuredRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tmig-bench-time-'));
  const timeFile = join(dir, 'maxrss');
  const started = process.hrtime.bigint();
  const cpu = cpuSnapshot();
  // Without GNU time (Debian package `time`) only the sampler measures memory.
  const [cmd, argv] = existsSync(GNU_TIME) ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
  const child: ChildProcess = spawn(cmd, argv, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: pgcopydb signals its whole group when it stops, which would take the harness with it.
    detached: true,
  });
  const sampler = new TreeSampler(child.pid!).start();
  let tail = '';
  const collect = (chunk: Buffer) => {
    if (opts.verbose) process.stderr.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      sampler.stop();
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`cannot start ${command}: ${err.message}`));
    });
    child.on('close', (exitCode, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const machineCpuSeconds = busyCpuSince(cpu);
      const sampled = sampler.stop();
      const timed = parseTimeMaxRssKb(readText(timeFile) ?? '') ?? 0;
      rmSync(dir, { recursive: true, force: true });
      resolve({
        seconds,
        exitCode,
        signal,
        outputTail: tail,
        peakRssKb: Math.max(sampled.peakRssKb, timed),
        treeRssKb: Math.max(sampled.treeRssKb, timed),
        ...(machineCpuSeconds !== undefined ? { machineCpuSeconds } : {}),
      });
    });
  });
}

/** Runs a command and fails with its output when it exits non-zero (for setup steps, not measured). */
export async function runChecked(command: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot start ${command}: ${err.message}`)));
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out.slice(-TAIL_CHARS)}`);
  return out;
}
