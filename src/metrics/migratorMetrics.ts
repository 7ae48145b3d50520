/**
 * The migrator's own Prometheus metrics (prom-client): what activities record about copying,
 * validation and replication. Labels are server names only, never tables, keys or row data.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; the metrics server (metricsServer.ts) exposes it on METRICS_PORT. */
export const migratorRegistry = new Registry();

const serverLabels = ['source_server', 'target_server'] as const;

/** A counter per source/target server pair (the only labels copy metrics carry). */
const serverCounter = (name: string, help: string) => new Counter({ name, help, labelNames: serverLabels, registers: [migratorRegistry] });

const rowsCopied = serverCounter('tmig_rows_copied_total', 'Rows committed to targets (chunks whose transaction committed).');
const bytesCopied = serverCounter('tmig_bytes_copied_total', 'Bytes of canonical COPY text committed to targets.');
const chunksCommitted = serverCounter('tmig_chunks_committed_total', 'Exactly-once chunks committed together with their checkpoint.');
const chunkSeconds = new Histogram({
  name: 'tmig_chunk_duration_seconds', help: 'Time from reading a chunk from the source to its target commit.',
  labelNames: serverLabels, registers: [migratorRegistry],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
});
const chunksValidated = serverCounter('tmig_validation_chunks_verified_total', 'Chunks re-read from the target and checksummed by validation.');
const validationMismatches = serverCounter('tmig_validation_mismatches_total', 'Validation findings that differ between source and target (counts, chunk checksums).');
const replicationLagBytes = new Gauge({
  name: 'tmig_replication_lag_bytes', help: 'Online migration: WAL bytes the target is behind the source slot (set by the cdc phase).',
  labelNames: ['tenant', 'source_server'], registers: [migratorRegistry],
});
const replicationLagSeconds = new Gauge({
  name: 'tmig_replication_lag_seconds', help: 'Online migration: age of the oldest change not yet applied to the target (set by the cdc phase).',
  labelNames: ['tenant', 'source_server'], registers: [migratorRegistry],
});

collectDefaultMetrics({ register: migratorRegistry, prefix: 'tmig_worker_' });

export interface ServerPair {
  source: { server: string };
  target: { server: string };
}

const labelsOf = (t: ServerPair) => ({ source_server: t.source.server, target_server: t.target.server });

/** A chunk (and its checkpoint) committed: rows, bytes, and the seconds it took. */
export function recordChunkCommitted(t: ServerPair, rows: number, bytes: number, seconds: number): void {
  const l = labelsOf(t);
  if (rows > 0) chunksCommitted.inc(l);
  rowsCopied.inc(l, rows);
  bytesCopied.inc(l, bytes);
  chunkSeconds.observe(l, seconds);
}

/** A table or key range validated: chunks verified and mismatches found. */
export function recordValidation(t: ServerPair, chunksVerified: number, mismatches: number): void {
  const l = labelsOf(t);
  chunksValidated.inc(l, chunksVerified);
  validationMismatches.inc(l, mismatches);
}

/**
 * Hook for online migration (cdc phase): the current replication lag of a tenant. `undefined`
 * removes the series (the tenant finished or cut over).
 */
export function setReplicationLag(tenantId: string, sourceServer: string, lag: { bytes: number; seconds?: number } | undefined): void {
  const l = { tenant: tenantId, source_server: sourceServer };
  if (!lag) {
    replicationLagBytes.remove(l);
    replicationLagSeconds.remove(l);
    return;
  }
  replicationLagBytes.set(l, lag.bytes);
  if (lag.seconds !== undefined) replicationLagSeconds.set(l, lag.seconds);
}
