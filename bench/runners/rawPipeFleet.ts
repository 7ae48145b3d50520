import { runMeasured } from '../measure';
import { dbUrl, dropDatabase, listTables, recreateDatabase, verifyRowCounts, withDb } from '../pg';
import type { BenchResult } from '../types';
import { failureNote } from './runner';

/**
 * The raw pipe over the fleet, as the per-tenant baseline for tmig's fleet run: for each tenant
 * (up to --jobs tenants at once) pre-data DDL, one `COPY TO STDOUT | COPY FROM STDIN` per table,
 * post-data DDL. Tenants are clones of one template, so one table list serves all.
 */
const SCRIPT = `
set -euo pipefail
copy_tenant() {
  set -euo pipefail
  local src=$1 dst=$2 t
  pg_dump --section=pre-data --no-owner --no-acl "$src" | psql -X -q -v ON_ERROR_STOP=1 -d "$dst" >/dev/null
  while IFS= read -r t; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c "COPY $t TO STDOUT" | psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -c "COPY $t FROM STDIN"
  done <<< "$TABLES"
  pg_dump --section=post-data --no-owner --no-acl "$src" | psql -X -q -v ON_ERROR_STOP=1 -d "$dst" >/dev/null
}
export -f copy_tenant
printf '%s\\0' "$@" | xargs -0 -n2 -P "$JOBS" bash -c 'copy_tenant "$1" "$2"' copy-tenant
`;

export async function runRawPipeFleet(opts: {
  pairs: { source: string; target: string }[]; jobs: number; bytes: number; keepTargets: boolean; log: (m: string) => void;
}): Promise<BenchResult> {
  const dataset = `fleet ${opts.pairs.length}`;
  const base: BenchResult = {
    tool: 'raw-pipe', dataset, seconds: null, bytes: opts.bytes, mbPerSec: null, ratioToRawPipe: null, peakRssMb: null, treeRssMb: null, verified: false,
  };
  try {
    const tables = await withDb(opts.pairs[0].source, (c) => listTables(c));
    for (const p of opts.pairs) await recreateDatabase(p.target);
    opts.log(`raw-pipe: copying the fleet (${opts.pairs.length} tenants, ${opts.jobs} at a time)`);
    const run = await runMeasured('bash', ['-c', SCRIPT, 'raw-pipe-fleet', ...opts.pairs.flatMap((p) => [dbUrl(p.source), dbUrl(p.target)])], {
      env: { ...process.env, JOBS: String(opts.jobs), TABLES: tables.map((t) => t.qualified).join('\n') },
    });
    const problems: string[] = [];
    for (const p of opts.pairs) problems.push(...(await verifyRowCounts(p.source, p.target)).problems);
    const note = [failureNote('raw pipe (fleet)', run), problems.slice(0, 3).join('; ') || undefined, 'target databases created before timing']
      .filter(Boolean).join('; ');
    opts.log(`raw-pipe: fleet in ${run.seconds.toFixed(1)} s, verified ${problems.length === 0 && run.exitCode === 0 ? 'yes' : 'no'}`);
    return {
      ...base, seconds: run.seconds, peakRssMb: run.peakRssKb / 1024, treeRssMb: run.treeRssKb / 1024,
      machineCpuSeconds: run.machineCpuSeconds ?? null,
      verified: run.exitCode === 0 && problems.length === 0, note,
    };
  } catch (err) {
    opts.log(`raw-pipe fleet: failed: ${(err as Error).message}`);
    return { ...base, note: `failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    if (!opts.keepTargets) for (const p of opts.pairs) await dropDatabase(p.target);
  }
}
