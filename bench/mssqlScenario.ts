/**
 * The SQL Server source scenario of `npm run bench -- --mssql`: one data set on the TDS endpoint
 * (MSSQL_URL, else a Babelfish started here) copied to PostgreSQL by tmig (real worker, Temporal
 * dev server) and by the plain driver loop (bench/mssqlPlainCopy.ts); MB/s, rows/s, the ratio
 * tmig/plain, peak RSS and row counts verified on both sides.
 */
import type { MssqlBenchResult, MssqlSideResult } from './types';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { MigrationWaveInput } from '../src/contract/migration';
import { startBabelfish, type BabelfishServer } from '../src/engines/mssql/babelfishServer';
import { runMeasured } from './measure';
import { createMssqlDataset, MSSQL_TABLES, mssqlRowCounts } from './mssqlDataset';
import { tenantTiming } from './fleetTiming';
import { countRows, dbUrl, dropDatabase, recreateDatabase, withDb } from './pg';
import { addTmigServer, runWave, SERVER, stopTmigSession, tenantResult, tmigUnavailable, waveFailures } from './runners/tmig';

const REPO = resolve(__dirname, '..');
const SRC = 'tmig_bench_mssql_src';
const PLAIN_DST = 'tmig_bench_mssql_plain';
const TMIG_DST = 'tmig_bench_mssql_tmig';
const MSSQL_SERVER = 'mssql';
const PASSWORD_ENV = 'TMIG_BENCH_MSSQL_PASSWORD';

const empty = (note: string): MssqlSideResult => ({ seconds: null, mbPerSec: null, rowsPerSec: null, peakRssMb: null, verified: false, targetRows: {}, note });

async function targetCounts(database: string): Promise<Record<string, number>> {
  return withDb(database, async (c) => {
    const out: Record<string, number> = {};
    for (const t of MSSQL_TABLES) out[t.name] = await countRows(c, `public.${t.name}`).catch(() => -1);
    return out;
  });
}

function sameCounts(source: Record<string, number>, target: Record<string, number>): string[] {
  return MSSQL_TABLES.filter((t) => source[t.name] !== target[t.name]).map((t) => `${t.name}: target ${target[t.name] < 0 ? 'missing' : target[t.name]} rows, source ${source[t.name]}`);
}

export async function runMssqlScenario(opts: { sizeMb: number; jobs: number; keepTargets: boolean; log: (m: string) => void }): Promise<MssqlBenchResult> {
  const { log } = opts;
  let babelfish: BabelfishServer | undefined;
  let url = process.env.MSSQL_URL;
  const endpoint = url ? 'MSSQL_URL' : 'babelfish';
  try {
    if (!url) {
      const started = Date.now();
      babelfish = await startBabelfish(join(REPO, '.tmig', 'babelfish-bench'));
      url = babelfish.url;
      log(`mssql: Babelfish up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const fillStarted = Date.now();
    await createMssqlDataset(url, SRC, opts.sizeMb, log);
    const fillSeconds = (Date.now() - fillStarted) / 1000;
    const sourceRows = await mssqlRowCounts(url, SRC);
    const totalRows = Object.values(sourceRows).reduce((a, b) => a + b, 0);

    const loadBefore = loadavg()[0];
    // (b) the plain loop first: it also measures the data set's COPY-text size.
    let bytes: number | null = null;
    let plain: MssqlSideResult;
    await recreateDatabase(PLAIN_DST);
    try {
      log(`mssql: plain loop (mssql stream -> COPY FROM STDIN) ${SRC} -> ${PLAIN_DST}`);
      const run = await runMeasured(process.execPath, ['--import', 'tsx', join(__dirname, 'mssqlPlainCopy.ts')], {
        cwd: REPO, env: { ...process.env, BENCH_MSSQL_URL: url, BENCH_MSSQL_DB: SRC, BENCH_PG_TARGET_URL: dbUrl(PLAIN_DST), BENCH_JOBS: String(opts.jobs) },
      });
      if (run.exitCode !== 0) throw new Error(`plain loop exited with ${run.exitCode ?? run.signal}: ${run.outputTail.slice(-800)}`);
      const line = run.outputTail.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      const out = JSON.parse(line ?? '{}') as { bytes?: number };
      bytes = out.bytes ?? null;
      const targetRows = await targetCounts(PLAIN_DST);
      const problems = sameCounts(sourceRows, targetRows);
      plain = {
        seconds: run.seconds, mbPerSec: bytes ? bytes / 1048576 / run.seconds : null, rowsPerSec: totalRows / run.seconds,
        peakRssMb: run.peakRssKb / 1024, verified: problems.length === 0, targetRows, note: problems.join('; ') || undefined,
      };
      log(`mssql: plain loop ${run.seconds.toFixed(2)} s, ${plain.mbPerSec?.toFixed(1)} MB/s, verified ${plain.verified ? 'yes' : 'no'}`);
    } catch (err) {
      log(`mssql: plain loop failed: ${(err as Error).message}`);
      plain = empty(`failed: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      if (!opts.keepTargets) await dropDatabase(PLAIN_DST);
    }

    // (a) tmig: a real worker with the SQL Server as a configured server entry.
    let tmig: MssqlSideResult;
    const reason = tmigUnavailable();
    if (reason) tmig = empty(`not run: ${reason}`);
    else {
      const u = new URL(url);
      process.env[PASSWORD_ENV] = decodeURIComponent(u.password);
      u.password = '';
      await stopTmigSession(); // the worker config is written when the session starts: it must include the SQL Server
      addTmigServer(MSSQL_SERVER, { kind: 'mssql', url: u.toString(), passwordEnv: PASSWORD_ENV, maxConcurrency: 8 });
      await dropDatabase(TMIG_DST);
      const tenantId = `bench-mssql-${Date.now()}`;
      const input: MigrationWaveInput = {
        waveId: tenantId,
        tenants: [{ tenantId, source: { server: MSSQL_SERVER, database: SRC }, target: { server: SERVER, database: TMIG_DST } }],
        options: { maxConcurrentTenants: 1, tableConcurrency: opts.jobs },
      };
      try {
        log(`mssql: tmig ${MSSQL_SERVER}/${SRC} -> ${TMIG_DST}`);
        const wave = await runWave(input, log);
        const tenant = await tenantResult(tenantId, input.waveId);
        const targetRows = await targetCounts(TMIG_DST);
        const problems = [waveFailures(wave.result), ...sameCounts(sourceRows, targetRows)].filter(Boolean) as string[];
        if (tenant?.validation && !tenant.validation.ok) problems.push(`validation ${tenant.validation.mode} FAILED`);
        const ok = problems.length === 0 && wave.result.succeeded.length === 1;
        tmig = {
          seconds: wave.seconds, mbPerSec: bytes ? bytes / 1048576 / wave.seconds : null, rowsPerSec: totalRows / wave.seconds,
          peakRssMb: wave.peak.peakRssKb / 1024, verified: ok, targetRows, ...(tenant ? { phasesMs: tenantTiming(tenant).phaseMs } : {}),
          note: [problems.join('; '), tenant?.validation ? `validation ${tenant.validation.mode}: ${tenant.validation.ok ? 'ok' : 'FAILED'}` : undefined,
            tenant ? `tables: ${tenant.tables.map((t) => `${t.table} ${t.chunks} chunk(s) ${(t.copyMs / 1000).toFixed(1)} s`).join(', ')}` : undefined].filter(Boolean).join('; ') || undefined,
        };
        log(`mssql: tmig ${wave.seconds.toFixed(2)} s, ${tmig.mbPerSec?.toFixed(1)} MB/s, verified ${tmig.verified ? 'yes' : 'no'}`);
      } catch (err) {
        log(`mssql: tmig failed: ${(err as Error).message}`);
        tmig = empty(`failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await stopTmigSession();
        if (!opts.keepTargets) await dropDatabase(TMIG_DST);
      }
    }
    return {
      endpoint, sizeMbRequested: opts.sizeMb, bytes, sourceRows, fillSeconds, plain, tmig,
      ratioTmigToPlain: tmig.mbPerSec && plain.mbPerSec ? tmig.mbPerSec / plain.mbPerSec : null,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    };
  } finally {
    await babelfish?.stop();
  }
}

/** The scenario as printed rows: side, seconds, MB/s, rows/s, peak RSS, verified. */
export function formatMssql(r: MssqlBenchResult): string {
  const f = (n: number | null, d = 1) => (n === null ? '-' : n.toFixed(d));
  const rows = [['mssql source', 'seconds', 'MB/s', 'rows/s', 'peak RSS MB', 'verified', 'note']];
  for (const [name, s] of [['plain loop', r.plain], ['tmig', r.tmig]] as const) {
    rows.push([name, f(s.seconds, 2), f(s.mbPerSec), f(s.rowsPerSec, 0), f(s.peakRssMb, 0), s.verified ? 'yes' : 'no', s.note ?? '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return `${lines.join('\n')}\nratio tmig/plain (MB/s): ${f(r.ratioTmigToPlain, 2)}; data ${f(r.bytes === null ? null : r.bytes / 1048576)} MB of COPY text, `
    + `${Object.entries(r.sourceRows).map(([t, n]) => `${t} ${n}`).join(', ')} rows (${r.endpoint}); load average ${r.loadAverage.before.toFixed(1)} -> ${r.loadAverage.after.toFixed(1)}`
    + (r.tmig.phasesMs ? `\ntmig phases ms: ${Object.entries(r.tmig.phasesMs).map(([p, ms]) => `${p} ${ms}`).join(', ')}` : '');
}
