/**
 * The worker's one Prometheus endpoint (METRICS_PORT, path /metrics): the migrator's prom-client
 * registry followed by the Temporal runtime's own metrics, which the SDK's exporter serves on a
 * loopback-only port (TEMPORAL_METRICS_PORT, default METRICS_PORT + 1) that this server reads.
 * One scrape target per worker; metric names never collide (tmig_* vs temporal_*).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, type Registry } from 'prom-client';

export interface MetricsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Where the Temporal runtime's Prometheus exporter listens (host:port), if enabled. */
  runtimeExporter?: string;
}

export interface MetricsServer {
  server: Server;
  port: number;
  close: () => Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const runtimeUp = new Gauge({
    name: 'tmig_temporal_runtime_metrics_up', help: '1 when the Temporal runtime exporter answered this scrape.',
    registers: [opts.registry],
  });
  const runtimeText = async (): Promise<string> => {
    if (!opts.runtimeExporter) return '';
    try {
      const res = await fetch(`http://${opts.runtimeExporter}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      runtimeUp.set(1);
      return await res.text();
    } catch {
      runtimeUp.set(0);
      return '';
    }
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) {
      res.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    void (async () => {
      try {
        const runtime = await runtimeText(); // first, so tmig_temporal_runtime_metrics_up is current
        const own = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(runtime ? `${own.trimEnd()}\n${runtime.trimEnd()}\n` : own);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
