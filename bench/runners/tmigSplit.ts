/**
 * The split scenario: the shared database split into one database per tenant by tmig, against
 * the same rows migrated from as many separate databases, in one run. Reports both wall times,
 * the median per-tenant overhead of each, and the source's read amplification.
 */
import { PostgresSourceEngine } from '../../src/engines/postgres/source';
import { discoverPlan } from '../../src/split/discoverPlan';
import { splitPlanSchema } from '../../src/contract/splitPlan';
import { splitWaveManifests } from '../../src/split/waveManifests';
import type { TenantSpec } from '../../src/contract/migration';
import { summarizeFleet, tenantTiming } from '../fleetTiming';
import { quantile } from '../resultTable';
import { dropDatabase, SERVER_URL, verifyRowCounts, withDb } from '../pg';
import { SPLIT_MARKER_TABLE } from '../splitDataset';
import type { BenchResult, SplitSummary } from '../types';

export type { SplitSummary };
import { runWave, SERVER, tenantResult, tmigUnavailable, waveFailed, waveFailures, waveSucceeded } from './tmig';


/** Per source table: blocks found in shared buffers (hit) and read from outside them (read), heap + indexes + TOAST. */
const blocks = `SELECT relname AS t,
  (heap_blks_hit + coalesce(idx_blks_hit, 0) + coalesce(toast_blks_hit, 0) + coalesce(tidx_blks_hit, 0))::bigint::text AS hit,
  (heap_blks_read + coalesce(idx_blks_read, 0) + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0))::bigint::text AS read,
  (heap_blks_hit + heap_blks_read)::bigint::text AS heap, (coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0))::bigint::text AS idx,
  (pg_relation_size(relid) / 8192)::bigint::text AS pages, (pg_indexes_size(relid) / 8192)::bigint::text AS idx_pages
  FROM pg_statio_user_tables ORDER BY 1`;

export async function runSplitScenario(opts: { source: string; separate: string[]; splitTarget: (i: number) => string; sepTarget: (i: number) => string; jobs: number; keepTargets: boolean; log: (m: string) => void }): Promise<{ results: BenchResult[]; summary?: SplitSummary }> {
  const { splitTarget: splitTargetName, sepTarget: sepTargetName } = opts;
  const n = opts.separate.length;
  const base = (dataset: string): BenchResult => ({ tool: 'tmig', dataset, seconds: null, bytes: 0, mbPerSec: null, ratioToRawPipe: null, peakRssMb: null, treeRssMb: null, verified: false });
  const reason = tmigUnavailable();
  if (reason) return { results: [{ ...base(`split ${n}`), note: `not run: ${reason}` }] };
  const engine = new PostgresSourceEngine({ serverName: SERVER, server: { url: SERVER_URL }, database: opts.source });
  const found = discoverPlan(await engine.describe(), 'client_id', { excluded: [`public.${SPLIT_MARKER_TABLE}`] });
  await engine.close();
  if (found.unplaceable.length) throw new Error(`split bench: cannot place ${found.unplaceable.join(', ')}`);
  const plan = splitPlanSchema.parse(found.plan);
  const tenants = opts.separate.map((_, i) => String(i + 1));
  const sourceBytes = await withDb(opts.source, async (c) => Number((await c.query<{ s: string }>('SELECT pg_database_size(current_database())::text AS s')).rows[0].s));
  const options = { maxConcurrentTenants: opts.jobs, tableConcurrency: opts.jobs };
  const [splitWave] = splitWaveManifests({ wavePrefix: `split-${Date.now()}`, source: { server: SERVER, database: opts.source }, targetServer: SERVER,
    targetDatabase: `${splitTargetName(0).replace(/_0000$/, '')}_{tenant}`, plan, tenants, phaseSize: n, options });
  // Target names padded like the other bench databases.
  splitWave.tenants.forEach((t, i) => { t.tenantId = `split-${String(i + 1).padStart(4, '0')}`; t.target.database = splitTargetName(i + 1); });
  const sepSpecs: TenantSpec[] = opts.separate.map((database, i) => ({ tenantId: `sep-${String(i + 1).padStart(4, '0')}`, source: { server: SERVER, database }, target: { server: SERVER, database: sepTargetName(i + 1) } }));
  for (let i = 1; i <= n; i++) { await dropDatabase(splitTargetName(i)); await dropDatabase(sepTargetName(i)); }
  const results: BenchResult[] = [];
  // A tenant whose result cannot be read has no timing: say so rather than leave the medians short (or null).
  const unreadable = (read: number) => (read < n ? `${n - read} tenant result(s) unreadable: per-tenant medians over ${read}` : undefined);
  try {
    await withDb(opts.source, (c) => c.query('SELECT pg_stat_reset()'));
    opts.log(`tmig split: ${n} tenant slices of ${opts.source}, ${opts.jobs} at a time`);
    const split = await runWave(splitWave, opts.log);
    await new Promise((r) => setTimeout(r, 2000)); // backends flush their statistics when they end
    const io = await withDb(opts.source, (c) => c.query<{ t: string; hit: string; read: string; heap: string; idx: string; pages: string; idx_pages: string }>(blocks));
    const blocksHit = io.rows.reduce((a, r) => a + Number(r.hit), 0);
    const blocksRead = io.rows.reduce((a, r) => a + Number(r.read), 0);
    const bytesRead = (blocksHit + blocksRead) * 8192;
    const ioOf = new Map(io.rows.map((r) => [r.t, r]));
    const scans = await withDb(opts.source, (c) => c.query<{ t: string; seq_scan: string; seq_tup_read: string; idx_scan: string | null; idx_tup_fetch: string | null; live: string }>(
      `SELECT s.relname AS t, s.seq_scan::text, s.seq_tup_read::text, s.idx_scan::text, s.idx_tup_fetch::text, greatest(c.reltuples, 0)::bigint::text AS live FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid ORDER BY 1`));
    const rowsRead = scans.rows.reduce((s, r) => s + Number(r.seq_tup_read) + Number(r.idx_tup_fetch ?? 0), 0);
    const sourceRows = scans.rows.reduce((s, r) => s + Number(r.live), 0);
    const splitTimings = [];
    const problems: string[] = [];
    for (const [i, t] of splitWave.tenants.entries()) {
      const r = await tenantResult(t.tenantId, splitWave.waveId);
      if (r?.ok) splitTimings.push(tenantTiming(r));
      const check = await verifyRowCounts(opts.separate[i], t.target.database, { exclude: [SPLIT_MARKER_TABLE] });
      problems.push(...check.problems);
    }
    results.push({ ...base(`split ${n}`), bytes: sourceBytes, seconds: split.seconds, peakRssMb: split.peak.peakRssKb / 1024, treeRssMb: split.peak.treeRssKb / 1024,
      verified: !problems.length && !waveFailed(split.result), note: [waveFailures(split.result), problems.slice(0, 3).join('; ') || undefined, unreadable(splitTimings.length)].filter(Boolean).join('; ') || undefined });
    // The split's half on its own, in the log: kept if the separate databases' wave does not finish.
    opts.log(`tmig split (partial result): ${JSON.stringify({ splitSeconds: split.seconds, verified: results[0].verified, sourceBytes, bytesRead, blocksHit, blocksRead, rowsRead, sourceRows,
      split: summarizeFleet(splitTimings, n, waveSucceeded(split.result), split.seconds),
      tables: Object.fromEntries(scans.rows.map((r) => [r.t, { seq: Number(r.seq_scan), seqRows: Number(r.seq_tup_read), idx: Number(r.idx_scan ?? 0), idxRows: Number(r.idx_tup_fetch ?? 0), blocksHit: Number(ioOf.get(r.t)?.hit ?? 0), blocksRead: Number(ioOf.get(r.t)?.read ?? 0) }])) })}`);
    opts.log(`tmig split: ${split.seconds.toFixed(1)} s; now the same rows from ${n} separate databases`);
    const sepWaveId = `split-separate-${Date.now()}`;
    const sep = await runWave({ waveId: sepWaveId, tenants: sepSpecs, options }, opts.log);
    const sepTimings = [];
    const sepProblems: string[] = [];
    for (const t of sepSpecs) {
      const r = await tenantResult(t.tenantId, sepWaveId);
      if (r?.ok) sepTimings.push(tenantTiming(r));
      sepProblems.push(...(await verifyRowCounts(t.source.database, t.target.database)).problems);
    }
    results.push({ ...base(`separate ${n}`), bytes: sourceBytes, seconds: sep.seconds, peakRssMb: sep.peak.peakRssKb / 1024, treeRssMb: sep.peak.treeRssKb / 1024,
      verified: !sepProblems.length && !waveFailed(sep.result), note: [waveFailures(sep.result), sepProblems.slice(0, 3).join('; ') || undefined, unreadable(sepTimings.length)].filter(Boolean).join('; ') || undefined });
    const sepWall = new Map(sepTimings.map((t) => [t.tenantId.replace(/^sep-/, ''), t.wallMs]));
    const extra = splitTimings.map((t) => t.wallMs - (sepWall.get(t.tenantId.replace(/^split-/, '')) ?? NaN)).filter((x) => Number.isFinite(x));
    return {
      results,
      summary: {
        tenants: n, sourceBytes, bytesRead, readAmplification: bytesRead / sourceBytes, rowsRead, sourceRows, rowReadAmplification: rowsRead / sourceRows,
        splitSeconds: split.seconds, separateSeconds: sep.seconds, ratioToSeparate: split.seconds / sep.seconds,
        split: summarizeFleet(splitTimings, n, waveSucceeded(split.result), split.seconds),
        separate: summarizeFleet(sepTimings, n, waveSucceeded(sep.result), sep.seconds),
        medianExtraMsPerTenant: quantile(extra, 0.5),
        blocksHit, blocksRead, physicalBytesRead: blocksRead * 8192, physicalReadAmplification: (blocksRead * 8192) / sourceBytes,
        seqScans: Object.fromEntries(scans.rows.map((r) => {
          const b = ioOf.get(r.t);
          return [r.t, { seqScans: Number(r.seq_scan), seqRowsRead: Number(r.seq_tup_read), indexScans: Number(r.idx_scan ?? 0), indexRowsFetched: Number(r.idx_tup_fetch ?? 0), rows: Number(r.live),
            heapBlocks: Number(b?.heap ?? 0), indexBlocks: Number(b?.idx ?? 0), blocksRead: Number(b?.read ?? 0), tablePages: Number(b?.pages ?? 0), indexPages: Number(b?.idx_pages ?? 0) }];
        })),
      },
    };
  } finally {
    if (!opts.keepTargets) for (let i = 1; i <= n; i++) { await dropDatabase(splitTargetName(i)); await dropDatabase(sepTargetName(i)); }
  }
}
