/**
 * deploy/kubernetes/worker.yaml, checked without a cluster: two worker roles, pinned image, the
 * probes and scrape port on the worker's METRICS_PORT, a worker config that validates, and
 * Temporal TLS variables that the connection module really reads.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/loadConfig';
import { resolveTemporalConnection } from '../../src/temporal/connectionSettings';

const root = resolve(__dirname, '..', '..');
interface Container {
  image: string; env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: object; limits: object };
}
interface Doc { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { template?: { spec: { containers: Container[] } } } }
const docs = parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes/worker.yaml'), 'utf8')).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Doc;
});

describe('Kubernetes manifest for the workers', () => {
  it('runs a light and a heavy role with pinned images, probes on /healthz and the metrics port', () => {
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    const roles = deployments.map((d) => d.spec!.template!.spec.containers[0].env.find((e) => e.name === 'WORKER_ROLE')?.value).sort();
    expect(roles).toEqual(['heavy', 'light']);
    for (const d of deployments) {
      const c = d.spec!.template!.spec.containers[0];
      expect(c.image, d.metadata.name).toMatch(/:\d+\.\d+\.\d+$/);
      const port = Number(c.env.find((e) => e.name === 'METRICS_PORT')?.value);
      expect(c.ports).toContainEqual({ name: 'metrics', containerPort: port });
      for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits).toBeDefined();
    }
  });

  it('ships a worker config that validates and uses the Temporal variables tmig reads', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap')!;
    const config = parseConfig(cm.data!['config.yaml'], 'config.yaml');
    expect(Object.keys(config.servers)).toEqual(['pg-main', 'mssql-main']);
    const c = docs.find((d) => d.kind === 'Deployment')!.spec!.template!.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    // The mounted certificate paths do not exist here: the module names the variable it read.
    expect(() => resolveTemporalConnection({}, env)).toThrow(/TEMPORAL_TLS_CERT names \/etc\/temporal-tls\/tls\.crt/);
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, TEMPORAL_TLS_CA: _a, ...plain } = env;
    expect(resolveTemporalConnection({}, plain)).toMatchObject({ address: 'temporal-frontend.temporal.svc:7233', namespace: 'migrations' });
  });
});
