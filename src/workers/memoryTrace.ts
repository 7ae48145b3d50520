/**
 * Opt-in memory trace of a worker process, for finding where its memory goes:
 *  - `TMIG_MEMORY_TRACE=FILE` appends one JSON line every `TMIG_MEMORY_TRACE_MS` (default 1000):
 *    the resident set and its high-water mark (from /proc), the main isolate's heap, `external` and
 *    array buffers (`process.memoryUsage()`), and per Temporal worker its cached workflows and
 *    in-flight activities. Whatever RSS the main heap and external memory do not explain is native:
 *    the workflow thread's own V8 isolate, the SDK's Rust core, malloc arenas, code.
 *  - `SIGUSR2` (Node's `--heapsnapshot-signal=SIGUSR2`, set through NODE_OPTIONS) writes a heap
 *    snapshot of the main isolate; this module does not install it.
 * Figures only: no tenant names, no row data.
 */
import { appendFileSync, readFileSync } from 'node:fs';

export interface TracedWorker {
  role: string;
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
  const file = env.TMIG_MEMORY_TRACE;
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
