/**
 * The split's source reads on their own, without Temporal or targets: every tenant slice of the
 * generated shared database read as a tenant migration reads it (a count when the slice is
 * described, keyset chunks of `--chunk-rows`, a count again when it is validated), once with the
 * slice conditions of before the tenant-driven reads (a reached table as a correlated EXISTS) and
 * once with the current ones, each with the source's statistics reset before. Reports, per mode,
 * block reads / database size, rows read / rows, and per table the sequential scans.
 *
 *   BENCH_PG_URL=... npx tsx bench/splitReads.ts --tenants 456 --mb 300 [--chunk-rows 50000] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { PostgresSourceEngine } from '../src/engines/postgres/source';
import type { TableModel } from '../src/engines/schemaModel';
import { discoverPlan } from '../src/split/discoverPlan';
import { SliceSourceEngine } from '../src/split/sliceSource';
import { pathJoin, pgSliceDialect, tableRole } from '../src/split/sliceSql';
import { planTableName, splitPlanSchema, type SplitPlan } from '../src/contract/splitPlan';
import { SERVER_URL, withDb } from './pg';
import { ensureSplitDatasets, SPLIT_MARKER_TABLE } from './splitDataset';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const tenants = Number(arg('--tenants', '40'));
const mb = Number(arg('--mb', '15'));
const chunkRows = Number(arg('--chunk-rows', '50000'));
const json = arg('--json', '');
const log = (m: string) => console.log(`[split-reads ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The slice condition of a reached table as it was before: one correlated EXISTS along the path. */
function legacy(plan: SplitPlan, t: TableModel, value: string, lookup: (n: string) => TableModel): TableModel {
  const role = tableRole(plan, t);
  if (role.kind !== 'reached') return t;
  const self = `${pgSliceDialect.ident(t.schema)}.${pgSliceDialect.ident(t.name)}`;
  const j = pathJoin(pgSliceDialect, plan, role.path, self, lookup);
  const { rowFilterKeyBound: _bound, ...rest } = t;
  return { ...rest, rowFilter: `EXISTS (SELECT 1 FROM ${j.from} WHERE ${j.where} AND ${j.tenant} = ${pgSliceDialect.literal(value, j.tenantType)})` };
}

async function main(): Promise<void> {
  const { source } = await ensureSplitDatasets({ tenants, mb, regenerate: process.argv.includes('--regenerate'), log, sharedOnly: true });
  const endpoint = { serverName: 'bench', server: { url: SERVER_URL }, database: source };
  const base = new PostgresSourceEngine(endpoint);
  const model = await base.describe();
  await base.close();
  const lookup = (n: string) => model.tables.find((t) => planTableName(t) === n)!;
  const found = discoverPlan(model, 'client_id', { excluded: [`public.${SPLIT_MARKER_TABLE}`] });
  const plan = splitPlanSchema.parse(found.plan);
  const sourceBytes = await withDb(source, async (c) => Number((await c.query<{ s: string }>('SELECT pg_database_size(current_database())::text AS s')).rows[0].s));
  // The slice models first (not measured): each mode then reads the same tables the same way.
  log(`describing ${tenants} slices`);
  const slices: { value: string; tables: TableModel[] }[] = [];
  for (let k = 1; k <= tenants; k++) {
    const slice = new SliceSourceEngine(new PostgresSourceEngine(endpoint), { tenantKey: { value: String(k) }, plan }, `tenant ${k}`);
    slices.push({ value: String(k), tables: (await slice.describe()).tables });
    await slice.close();
  }
  const modes: Record<string, unknown> = {};
  for (const mode of ['before: correlated EXISTS', 'after: driven from the tenant key'] as const) {
    await withDb(source, (c) => c.query('SELECT pg_stat_reset()'));
    const started = process.hrtime.bigint();
    let rows = 0;
    for (const s of slices) {
      const slice = new SliceSourceEngine(new PostgresSourceEngine(endpoint), { tenantKey: { value: s.value }, plan }, `tenant ${s.value}`);
      try {
        for (const t0 of s.tables) {
          const t = mode.startsWith('before') ? legacy(plan, t0, s.value, lookup) : t0;
          await slice.count(t); // describe
          let after: string[] | null = null;
          for (;;) {
            const stream = await slice.readChunk({ table: t, range: { lo: null, hi: null }, after, limit: chunkRows });
            // The next chunk starts after this one's last key, as the copy's checkpoint does.
            const text: Buffer[] = [];
            for await (const c of stream) text.push(c as Buffer);
            const lines = Buffer.concat(text).toString('utf8').split('\n').filter(Boolean);
            rows += lines.length;
            if (lines.length < chunkRows || !t.key) break;
            const last = lines[lines.length - 1].split('\t');
            const copied = t.columns.filter((c) => !c.generated);
            after = t.key.map((k) => last[copied.findIndex((c) => c.name === k)]);
          }
          await slice.count(t); // validation
        }
      } finally {
        await slice.close();
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await new Promise((r) => setTimeout(r, 2000)); // ended backends flush their statistics
    const stats = await withDb(source, async (c) => (await c.query<{ t: string; blocks: string; seq_scan: string; seq_tup_read: string; idx_scan: string; idx_tup_fetch: string; live: string }>(
      `SELECT s.relname AS t, (io.heap_blks_read + io.heap_blks_hit + coalesce(io.idx_blks_read, 0) + coalesce(io.idx_blks_hit, 0)
         + coalesce(io.toast_blks_read, 0) + coalesce(io.toast_blks_hit, 0))::text AS blocks,
         s.seq_scan::text, s.seq_tup_read::text, coalesce(s.idx_scan, 0)::text AS idx_scan, coalesce(s.idx_tup_fetch, 0)::text AS idx_tup_fetch, greatest(c.reltuples, 0)::bigint::text AS live
       FROM pg_stat_user_tables s JOIN pg_statio_user_tables io USING (relid) JOIN pg_class c ON c.oid = s.relid ORDER BY 1`)).rows);
    const blocks = stats.reduce((a, r) => a + Number(r.blocks), 0);
    const rowsRead = stats.reduce((a, r) => a + Number(r.seq_tup_read) + Number(r.idx_tup_fetch), 0);
    const liveRows = stats.reduce((a, r) => a + Number(r.live), 0);
    const result = {
      seconds, rowsCopied: rows, bytesRead: blocks * 8192, readAmplification: (blocks * 8192) / sourceBytes, rowsRead, rowReadAmplification: rowsRead / liveRows,
      tables: Object.fromEntries(stats.map((r) => [r.t, { blocks: Number(r.blocks), seqScans: Number(r.seq_scan), seqRowsRead: Number(r.seq_tup_read), indexScans: Number(r.idx_scan), indexRowsFetched: Number(r.idx_tup_fetch), rows: Number(r.live) }])),
    };
    modes[mode] = result;
    log(`${mode}: ${seconds.toFixed(1)} s, ${rows} rows read out; block reads x8KB / database size ${result.readAmplification.toFixed(2)}, rows read / rows ${result.rowReadAmplification.toFixed(2)}`);
    for (const [t, v] of Object.entries(result.tables)) log(`  ${t}: ${v.seqScans} seq scans (${v.seqRowsRead} rows), ${v.indexScans} index scans (${v.indexRowsFetched} rows), ${v.blocks} blocks, ${v.rows} rows`);
  }
  const out = { startedAt: new Date().toISOString(), scenario: 'split slice reads (describe count + keyset chunks + validation count per table and tenant)',
    tenants, mb, chunkRows, sourceBytes, modes };
  if (json) writeFileSync(json, JSON.stringify(out, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
