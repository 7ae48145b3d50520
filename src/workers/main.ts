import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import { setFlagsFromString } from 'node:v8';
import * as activities from '../activities';
import { closeLazyConnections } from '../activities/lazyActivities';
import { loadConfig } from '../config/loadConfig';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../contract/names';
import { resolveTemporalConnection } from '../temporal/connectionSettings';
import { connectTemporalClient, connectTemporalWorker } from '../temporal/connect';
import { runtimeTelemetry, startWorkerMetrics, workerMetricsPlan } from './workerMetrics';
import { ensureWorkflowBundle } from './workflowBundle';
import { causeChainText, oneLineCause } from '../contract/failureCause';
import { installHeapSnapshotTrigger, startMemoryTrace } from './memoryTrace';

/**
 * V8 flags set before the workers are created. Measured on a fleet of small tenants (bench, 2 cores):
 * the live JS heaps stay flat (main isolate ~34 MB, workflow thread ~46 MB over 30 tenants, heap
 * snapshots), but with V8's defaults both heaps let garbage grow to 2-3x their live size before a
 * full GC, and the workflow thread's young generation grows to 16 MB semi-spaces: the resident set
 * went from ~183 MB at start-up to 313-382 MB over 20-30 tenants. `--optimize-for-size` makes old
 * generations grow by a small factor over live data (both isolates: the flag is read at each GC);
 * `--max-semi-space-size=2` (MB) applies to isolates created after it is set, i.e. the workflow
 * thread (the main isolate's was sized at process start). Together: peak ~230 MB over 20 tenants,
 * flat after the first few. Override with TMIG_V8_FLAGS (empty: none).
 */
const DEFAULT_V8_FLAGS = '--optimize-for-size --max-semi-space-size=2';

/**
 * A worker process. WORKER_ROLE picks what it hosts:
 *  - `light`: workflows and light activities on `migrations` (orchestration, DDL, bookkeeping);
 *  - `heavy`: copy and validation activities on `migrations-heavy` (scale these out);
 *  - `all` (default): both, for a single machine.
 * SIGTERM/SIGINT shut it down gracefully: running activities finish or are retried elsewhere.
 */
async function main(): Promise<void> {
  const config = loadConfig(); // fail fast, with the field named, on a bad config
  const role = process.env.WORKER_ROLE ?? 'all';
  if (!['all', 'light', 'heavy'].includes(role)) throw new Error(`WORKER_ROLE must be all, light or heavy (got ${role})`);
  const metricsPlan = workerMetricsPlan(); // METRICS_PORT: one Prometheus endpoint (see workerMetrics.ts)
  // V8 heap settings for a small, flat resident set (see DEFAULT_V8_FLAGS); TMIG_V8_FLAGS= (empty) keeps V8's own.
  const v8Flags = process.env.TMIG_V8_FLAGS ?? DEFAULT_V8_FLAGS;
  if (v8Flags.trim()) setFlagsFromString(v8Flags);
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO') ?? 'INFO'), telemetryOptions: runtimeTelemetry(metricsPlan) });
  const target = resolveTemporalConnection(); // TLS, API key and profile as the Temporal CLI reads them
  const connection = await connectTemporalWorker(target);
  const workers: Worker[] = [];
  const roles: string[] = [];
  if (role !== 'heavy') {
    roles.push('light');
    workers.push(await Worker.create({
      connection, namespace: target.namespace, taskQueue: TASK_QUEUE,
      workflowBundle: { codePath: ensureWorkflowBundle() }, activities,
      maxConcurrentActivityTaskExecutions: Number(process.env.LIGHT_CONCURRENCY ?? 16),
      // Bounded workflow cache: memory stays flat with the number of tenants (evicted ones replay).
      maxCachedWorkflows: Number(process.env.MAX_CACHED_WORKFLOWS ?? 200),
      // Queries and workflow tasks go first to the worker that cached the workflow (its sticky
      // queue). When that worker died without shutting down (OOM, SIGKILL, node lost), the server
      // waits this long for it before any other worker may answer: every `progress` query
      // (`tmig status`) of its tenants hangs that long once. The SDK's 10 s is cut to 3 s.
      stickyQueueScheduleToStartTimeout: (process.env.STICKY_QUEUE_TIMEOUT ?? '3s') as Duration,
    }));
  }
  if (role !== 'light') {
    roles.push('heavy');
    workers.push(await Worker.create({
      connection, namespace: target.namespace, taskQueue: HEAVY_TASK_QUEUE, activities,
      // Heartbeats carry cancellation (pause, cancel) back to copy activities: keep them frequent.
      maxHeartbeatThrottleInterval: '2s',
      maxConcurrentActivityTaskExecutions: Number(process.env.HEAVY_CONCURRENCY ?? 8),
    }));
  }
  const metricsClient = metricsPlan && role !== 'heavy' ? await connectTemporalClient(target) : undefined;
  const metrics = metricsPlan ? await startWorkerMetrics(metricsPlan, metricsClient) : undefined;
  if (metrics) console.log(`tmig worker metrics on :${metrics.port}/metrics`);
  console.log(`tmig worker ready: role=${role} temporal=${target.description} servers=${Object.keys(config.servers).join(',')}`);
  // TMIG_MEMORY_TRACE=FILE: one line of memory figures a second (see memoryTrace.ts).
  // TMIG_HEAP_SNAPSHOT_DIR=DIR: touching DIR/snapshot writes heap snapshots of the main isolate and the workflow threads.
  const traced = workers.map((w, i) => ({ role: roles[i], sdk: w, getStatus: () => w.getStatus() }));
  const stopTrace = startMemoryTrace(traced);
  const stopSnapshots = installHeapSnapshotTrigger(traced);
  await Promise.all(workers.map((w) => w.run()));
  stopTrace();
  stopSnapshots();
  await closeLazyConnections(); // cached MongoDB/MySQL connections would keep the process alive
  await connection.close();
  await metrics?.close();
  await metricsClient?.connection.close();
  console.log('tmig worker stopped');
}

main().catch((err) => {
  // One line with the innermost cause and its type (not a raw transport dump); LOG_LEVEL=DEBUG adds the chain.
  let where = 'Temporal';
  try {
    where = resolveTemporalConnection().description;
  } catch {
    // The settings themselves were the problem: the cause below says so.
  }
  const transport = /transport|connect|UNAVAILABLE|ECONNREFUSED/i.test(causeChainText(err));
  console.error(`tmig worker: ${transport ? `cannot reach ${where}: ` : ''}${oneLineCause(err)}`);
  if (process.env.LOG_LEVEL === 'DEBUG') console.error(causeChainText(err));
  process.exit(1);
});
