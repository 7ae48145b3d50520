import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args';
import { parseChildren, parseStatusKb, parseTimeMaxRssKb } from '../../bench/rss';
import { formatResults, quantile, withRatios } from '../../bench/resultTable';
import { busyCpuSince, cpuSnapshot } from '../../bench/machineCpu';
import { cpus } from 'node:os';
import { summarizeFleet, tenantTiming } from '../../bench/fleetTiming';
import { pgloaderSupportsPgSource } from '../../bench/runners/pgloader';
import { sameSpec } from '../../bench/datasets';
import { splitThresholdKb } from '../../bench/runners/pgcopydb';
import type { BenchResult } from '../../bench/types';
import type { TenantMigrationResult } from '../../src/contract/migration';

const MB = 1024 * 1024;

function result(tool: BenchResult['tool'], seconds: number | null, verified = true): BenchResult {
  return { tool, dataset: 'small', seconds, bytes: 100 * MB, mbPerSec: null, ratioToRawPipe: null, peakRssMb: 12.4, treeRssMb: 30, verified };
}

describe('bench args', () => {
  it('defaults to tiny, 2 jobs, all tools, fleet on', () => {
    const a = parseBenchArgs([]);
    expect(a).toMatchObject({ scale: 'tiny', jobs: 2, fleet: true });
    expect(a.only).toEqual(['raw-pipe', 'pg-dump', 'pgcopydb', 'pgloader', 'tmig']);
  });

  it('parses --only, --jobs=N, --no-fleet and --json', () => {
    const a = parseBenchArgs(['--only', 'pgcopydb,raw-pipe', '--jobs=4', '--no-fleet', '--json', 'out.json', '--scale', 'small']);
    expect(a.only).toEqual(['raw-pipe', 'pgcopydb']);
    expect(a).toMatchObject({ jobs: 4, fleet: false, json: 'out.json', scale: 'small' });
  });

  it('turns the fleet off when tmig is not run, and refuses --fleet without tmig', () => {
    expect(parseBenchArgs(['--only', 'raw-pipe']).fleet).toBe(false);
    expect(() => parseBenchArgs(['--only', 'raw-pipe', '--fleet'])).toThrow(/--fleet needs tmig/);
    expect(() => parseBenchArgs(['--only', 'raw-pipe', '--crash'])).toThrow(/--crash needs tmig/);
  });

  it('parses --pgcopydb-split sizes into kB', () => {
    expect(parseBenchArgs([]).pgcopydbSplit).toBe('auto');
    expect(parseBenchArgs(['--pgcopydb-split', 'off']).pgcopydbSplit).toBe('off');
    expect(parseBenchArgs(['--pgcopydb-split', '256MB']).pgcopydbSplit).toBe(256 * 1024);
    expect(() => parseBenchArgs(['--pgcopydb-split', 'big'])).toThrow(/--pgcopydb-split must be off, auto or a size/);
  });

  it('names the bad flag or value', () => {
    expect(() => parseBenchArgs(['--scale', 'huge'])).toThrow(/--scale must be one of tiny, small, full, got huge/);
    expect(() => parseBenchArgs(['--jobs', '0'])).toThrow(/--jobs needs a positive integer/);
    expect(() => parseBenchArgs(['--only', 'pgloader,mydumper'])).toThrow(/unknown tool\(s\) mydumper/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate/);
  });
});

describe('RSS parsing', () => {
  const status = 'Name:\tpostgres\nVmPeak:\t  220000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\nThreads:\t1\n';

  it('reads VmHWM and VmRSS from /proc/<pid>/status', () => {
    expect(parseStatusKb(status, 'VmHWM')).toBe(51234);
    expect(parseStatusKb(status, 'VmRSS')).toBe(40960);
    expect(parseStatusKb('Name:\tzombie\nState:\tZ (zombie)\n', 'VmHWM')).toBeUndefined();
  });

  it('reads GNU time %M output, also after a non-zero exit line', () => {
    expect(parseTimeMaxRssKb('14172\n')).toBe(14172);
    expect(parseTimeMaxRssKb('Command exited with non-zero status 1\n9876\n')).toBe(9876);
    expect(parseTimeMaxRssKb('Command terminated by signal 9\n')).toBeUndefined();
  });

  it('reads child pid lists', () => {
    expect(parseChildren('123 456 \n')).toEqual([123, 456]);
    expect(parseChildren('')).toEqual([]);
  });
});

describe('result table', () => {
  it('computes MB/s and the ratio to the raw pipe of the same data set', () => {
    const [raw, tmig, failed] = withRatios([result('raw-pipe', 10), result('tmig', 8), result('pgloader', 5, false)]);
    expect(raw.mbPerSec).toBeCloseTo(10);
    expect(raw.ratioToRawPipe).toBeCloseTo(1);
    expect(tmig.mbPerSec).toBeCloseTo(12.5);
    expect(tmig.ratioToRawPipe).toBeCloseTo(1.25);
    expect(failed.ratioToRawPipe).toBeNull(); // an unverified copy gets no ratio
  });

  it('gives no ratio when the raw pipe did not run on that data set', () => {
    const [tmig] = withRatios([{ ...result('tmig', 8), dataset: 'fleet 5' }, result('raw-pipe', 10)]);
    expect(tmig.ratioToRawPipe).toBeNull();
  });

  it('prints one aligned row per result with all columns and the notes', () => {
    const rows = withRatios([{ ...result('raw-pipe', 10), machineCpuSeconds: 17.2 }, result('pgcopydb', 5), { ...result('pgloader', null, false), note: 'not run: too old' }]);
    const text = formatResults(rows);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^tool\s+data set\s+seconds\s+MB\s+MB\/s\s+x raw pipe\s+x pgcopydb\s+CPU s\s+peak RSS MB\s+tree RSS MB\s+verified$/);
    expect(lines[2]).toMatch(/^raw-pipe\s+small\s+10\.00\s+100\.0\s+10\.0\s+1\.00\s+0\.50\s+17\.2\s+12\s+30\s+yes$/);
    expect(lines.splice(3, 1)[0]).toMatch(/^pgcopydb\s+small\s+5\.00\s+100\.0\s+20\.0\s+2\.00\s+1\.00\s+-\s+12\s+30\s+yes$/);
    expect(lines[3]).toMatch(/^pgloader\s+small\s+-\s+100\.0\s+-\s+-\s+-\s+-\s+12\s+30\s+no$/);
    expect(text).toContain('pgloader / small: not run: too old');
    // Columns line up: "verified" starts at the same offset in every row.
    const col = lines[0].indexOf('verified');
    expect(lines[2].lastIndexOf('yes')).toBe(col);
    expect(lines[3].lastIndexOf('no')).toBe(col);
  });

  it('counts the machine\'s busy CPU seconds over a run', () => {
    const from = cpuSnapshot();
    expect(from).toBeDefined();
    const until = Date.now() + 300;
    let spin = 0;
    while (Date.now() < until) spin++;
    expect(spin).toBeGreaterThan(0);
    const busy = busyCpuSince(from)!;
    // 0.3 s of this process spinning, plus whatever else ran; never more than all cores for the span.
    expect(busy).toBeGreaterThanOrEqual(0.2);
    expect(busy).toBeLessThan(cpus().length * 5);
  });

  it('takes nearest-rank quantiles', () => {
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('fleet timing', () => {
  const tenant: TenantMigrationResult = {
    tenantId: 't1', ok: true, rowsCopied: 10, bytesCopied: 100, throughput: [],
    phases: [
      { phase: 'prepare', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:00.300Z', ms: 300 },
      { phase: 'copy', startedAt: '2026-01-01T00:00:00.300Z', endedAt: '2026-01-01T00:00:01.300Z', ms: 1000 },
      { phase: 'validate', startedAt: '2026-01-01T00:00:01.400Z', endedAt: '2026-01-01T00:00:01.600Z', ms: 200 },
    ],
    tables: [
      { table: 'a', key: ['id'], sourceRows: 5, targetRows: 5, chunks: 1, bytes: 50, copyMs: 400, ranges: 1, chunksVerified: 1, checksumOk: true },
      { table: 'b', key: null, sourceRows: 5, targetRows: 5, chunks: 1, bytes: 50, copyMs: 350, ranges: 1, chunksVerified: 1, checksumOk: true },
    ],
  };

  it('counts wall time from first phase start to last phase end and subtracts copy time', () => {
    const t = tenantTiming(tenant);
    expect(t.wallMs).toBe(1600); // includes the 100 ms gap before validate
    expect(t.copyMs).toBe(750); // tables copied one after another: their own times, not the phase
    expect(t.overheadMs).toBe(850);
    expect(t.phaseMs).toEqual({ prepare: 300, copy: 1000, validate: 200 });
  });

  it('caps copy time at the copy phase when tables ran concurrently', () => {
    const concurrent = { ...tenant, tables: tenant.tables.map((x) => ({ ...x, copyMs: 900 })) };
    expect(tenantTiming(concurrent).copyMs).toBe(1000);
  });

  it('summarizes medians per phase', () => {
    const timings = [tenantTiming(tenant), tenantTiming({ ...tenant, tenantId: 't2', tables: [] })];
    const s = summarizeFleet(timings, 3, 2, 12.5);
    expect(s).toMatchObject({ tenants: 3, succeeded: 2, seconds: 12.5, medianWallMs: 1600 });
    expect(s.medianOverheadMs).toBe(600); // t2: no tables -> copy phase 1000 counts as copying
    expect(s.medianPhaseMs.copy).toBe(1000);
  });
});

describe('pgloader version check', () => {
  it('accepts 3.5.2 and later, rejects older', () => {
    expect(pgloaderSupportsPgSource('pgloader version "3.6.7~devel"\ncompiled with SBCL 2.2.9.debian')).toBe(true);
    expect(pgloaderSupportsPgSource('pgloader version "3.5.2"')).toBe(true);
    expect(pgloaderSupportsPgSource('pgloader version "3.4.1"')).toBe(false);
    expect(pgloaderSupportsPgSource('garbage')).toBe(false);
  });
});

describe('data set marker', () => {
  it('matches specs whatever the key order (jsonb reorders keys)', () => {
    expect(sameSpec({ wideRows: 10, nokeyRows: 2 }, { nokeyRows: 2, wideRows: 10 })).toBe(true);
    expect(sameSpec({ wideRows: 10, nokeyRows: 2 }, { nokeyRows: 2, wideRows: 11 })).toBe(false);
  });
});

describe('pgcopydb split threshold', () => {
  it('auto splits the largest table into about 2 x jobs parts, never under 1 MB', () => {
    expect(splitThresholdKb('auto', 2 * 1024 * 1024 * 1024, 2)).toBe(512 * 1024);
    expect(splitThresholdKb('auto', 100 * 1024, 2)).toBe(1024);
    expect(splitThresholdKb('off', 1e9, 2)).toBeUndefined();
    expect(splitThresholdKb(4096, 1e9, 2)).toBe(4096);
  });
});
