/**
 * Metrics wiring of a worker process: when METRICS_PORT is set, the Temporal runtime's Prometheus
 * exporter is enabled on loopback (TEMPORAL_METRICS_PORT, default METRICS_PORT + 1) and one
 * endpoint on METRICS_PORT serves it together with the migrator's metrics (src/metrics/).
 */
import type { Client } from '@temporalio/client';
import type { TelemetryOptions } from '@temporalio/worker';
import { migratorRegistry } from '../metrics/migratorMetrics';
import { readClusterState, registerClusterStateMetrics } from '../metrics/clusterStateMetrics';
import { startMetricsServer, type MetricsServer } from '../metrics/metricsServer';

export interface WorkerMetricsPlan {
  port: number;
  runtimeExporter: string;
}

function portFrom(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (0-65535), got "${value}"`);
  return n;
}

/** Reads METRICS_PORT / TEMPORAL_METRICS_PORT; undefined when metrics are off. */
export function workerMetricsPlan(env: NodeJS.ProcessEnv = process.env): WorkerMetricsPlan | undefined {
  const port = portFrom('METRICS_PORT', env.METRICS_PORT);
  if (port === undefined) return undefined;
  const runtimePort = portFrom('TEMPORAL_METRICS_PORT', env.TEMPORAL_METRICS_PORT) ?? (port === 0 ? 0 : port + 1);
  if (runtimePort === 0) throw new Error('TEMPORAL_METRICS_PORT must be set to a fixed port when METRICS_PORT is 0');
  return { port, runtimeExporter: `127.0.0.1:${runtimePort}` };
}

/** The Runtime.install telemetry options that turn on the SDK's Prometheus exporter. */
export function runtimeTelemetry(plan: WorkerMetricsPlan | undefined): TelemetryOptions | undefined {
  if (!plan) return undefined;
  return { metrics: { prometheus: { bindAddress: plan.runtimeExporter } } };
}

/**
 * Starts the endpoint. Workers that host workflows also report cluster state (tenants per phase,
 * permits per pool) unless METRICS_CLUSTER_STATE=0; one such worker is enough for dashboards.
 */
export async function startWorkerMetrics(plan: WorkerMetricsPlan, client: Client | undefined, env: NodeJS.ProcessEnv = process.env): Promise<MetricsServer> {
  // METRICS_CLUSTER_CACHE_MS: how long one visibility read serves scrapes (default 5 s).
  const cacheMs = Number(env.METRICS_CLUSTER_CACHE_MS ?? 5000);
  if (client && env.METRICS_CLUSTER_STATE !== '0') {
    registerClusterStateMetrics(migratorRegistry, () => readClusterState(client), Number.isFinite(cacheMs) && cacheMs >= 0 ? cacheMs : 5000);
  }
  return startMetricsServer({ port: plan.port, registry: migratorRegistry, runtimeExporter: plan.runtimeExporter });
}
