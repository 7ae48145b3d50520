/**
 * Opt-in memory trace of a worker process, for finding where its memory goes:
 *  - `TMIG_MEMORY_TRACE=FILE` (`%p`: the pid) appends one JSON line every `TMIG_MEMORY_TRACE_MS` (default 1000):
 *    the resident set and its high-water mark (from /proc), the main isolate's heap, `external` and
 *    array buffers (`process.memoryUsage()`), and per Temporal worker its cached workflows and
 *    in-flight activities. Whatever RSS the main heap and external memory do not explain is native:
 *    the workflow thread's own V8 isolate, the SDK's Rust core, malloc arenas, code.
 *  - `TMIG_HEAP_SNAPSHOT_DIR=DIR`: creating `DIR/snapshot` makes the worker write heap snapshots there: the main
 *    isolate's and each workflow thread's (the SDK runs workflows in a worker thread with its own
 *    V8 heap, which `process.memoryUsage()` does not show). Reaches into the SDK's workflow thread
 *    pool; when its shape differs, only the main snapshot is written.
 * Figures only: no tenant names, no row data.
 */
import { appendFileSync, createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { writeHeapSnapshot } from 'node:v8';

export interface TracedWorker {
  role: string;
  /** The SDK Worker itself (for its workflow threads' heap snapshots). */
  sdk?: unknown;
  getStatus(): { numCachedWorkflows: number; numInFlightActivities: number; numInFlightWorkflowActivations: number };
}

const MB = 1024 * 1024;

/** VmRSS and VmHWM in MB from /proc/self/status (undefined off Linux). */
export function procMemoryMb(statusText?: string): { rss?: number; hwm?: number } {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return {};
    }
  }
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text!);
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** One trace line (MB, one decimal). */
export function memorySample(workers: TracedWorker[], now = Date.now()): Record<string, unknown> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / MB) * 10) / 10;
  const proc = procMemoryMb();
  const rss = proc.rss ?? mb(m.rss);
  return {
    t: new Date(now).toISOString(),
    rssMb: rss,
    hwmMb: proc.hwm,
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
    // RSS not explained by the main isolate's heap and external memory.
    otherMb: Math.round((rss - mb(m.heapTotal) - mb(m.external)) * 10) / 10,
    workers: workers.map((w) => {
      const s = w.getStatus();
      return { role: w.role, cachedWorkflows: s.numCachedWorkflows, activities: s.numInFlightActivities, activations: s.numInFlightWorkflowActivations };
    }),
  };
}

/** Starts the trace when TMIG_MEMORY_TRACE names a file; returns a stop function (no-op otherwise). */
export function startMemoryTrace(workers: TracedWorker[], env: NodeJS.ProcessEnv = process.env): () => void {
  // `%p` in the name is replaced by the process id (one file per worker process).
  const file = env.TMIG_MEMORY_TRACE?.replace(/%p/g, String(process.pid));
  if (!file) return () => undefined;
  const every = Number(env.TMIG_MEMORY_TRACE_MS ?? 1000);
  const write = () => {
    try {
      appendFileSync(file, `${JSON.stringify(memorySample(workers))}\n`);
    } catch {
      // A trace that cannot be written must not take the worker down.
    }
  };
  write();
  const timer = setInterval(write, Number.isFinite(every) && every >= 100 ? every : 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    write();
  };
}

/** The SDK's workflow threads (node:worker_threads Workers) of a Worker, when they can be found. */
function workflowThreads(sdk: unknown): { getHeapSnapshot(): Promise<Readable> }[] {
  const clients = (sdk as { workflowCreator?: { workerThreadClients?: { workerThread?: unknown }[] } } | undefined)?.workflowCreator?.workerThreadClients;
  return (clients ?? []).map((c) => c.workerThread).filter((t): t is { getHeapSnapshot(): Promise<Readable> } =>
    typeof (t as { getHeapSnapshot?: unknown } | undefined)?.getHeapSnapshot === 'function');
}

/** Writes the heap snapshots (main isolate, then every workflow thread); returns the files. */
export async function writeHeapSnapshots(dir: string, workers: TracedWorker[], now = Date.now()): Promise<string[]> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const files = [writeHeapSnapshot(join(dir, `main-${process.pid}-${stamp}.heapsnapshot`))];
  for (const w of workers) {
    let i = 0;
    for (const thread of workflowThreads(w.sdk)) {
      const file = join(dir, `workflows-${w.role}${i++}-${process.pid}-${stamp}.heapsnapshot`);
      await pipeline(await thread.getHeapSnapshot(), createWriteStream(file));
      files.push(file);
    }
  }
  return files;
}

/**
 * When TMIG_HEAP_SNAPSHOT_DIR is set, creating the file `DIR/snapshot` makes the worker write heap
 * snapshots into DIR (checked every second; the file is removed). Not a signal: the Temporal runtime
 * takes SIGUSR2 (with SIGINT, SIGTERM, SIGQUIT) as a shutdown request. Returns a stop function.
 */
export function installHeapSnapshotTrigger(workers: TracedWorker[], env: NodeJS.ProcessEnv = process.env): () => void {
  const dir = env.TMIG_HEAP_SNAPSHOT_DIR;
  if (!dir) return () => undefined;
  const trigger = join(dir, 'snapshot');
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !existsSync(trigger)) return;
    busy = true;
    rmSync(trigger, { force: true });
    writeHeapSnapshots(dir, workers).then(
      (files) => console.log(`tmig worker: heap snapshots written: ${files.join(', ')}`),
      (err: unknown) => console.error(`tmig worker: heap snapshot failed: ${String(err)}`),
    ).finally(() => { busy = false; });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
