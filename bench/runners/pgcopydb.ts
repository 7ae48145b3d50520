import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runMeasured } from '../measure';
import { dbUrl, listTables, withDb } from '../pg';
import { failureNote, type Runner } from './runner';

/** `off`: pgcopydb's default (no same-table concurrency); `auto`: see splitThresholdKb; or a size in kB. */
export type PgcopydbSplit = 'off' | 'auto' | number;

let split: PgcopydbSplit = 'auto';

export function configurePgcopydb(opts: { split: PgcopydbSplit }): void {
  split = opts.split;
}

/**
 * `auto` splits the largest table into about 2 x jobs parts (pgcopydb's same-table concurrency,
 * its best configuration when one table dominates); tables under 1 MB are never split.
 */
export function splitThresholdKb(mode: PgcopydbSplit, largestTableBytes: number, jobs: number): number | undefined {
  if (mode === 'off') return undefined;
  if (mode !== 'auto') return mode;
  return Math.max(1024, Math.floor(largestTableBytes / 1024 / (2 * jobs)));
}

/** `pgcopydb clone` with --table-jobs/--index-jobs = --jobs, its work directory in scratch space. */
export const pgcopydbRunner: Runner = {
  tool: 'pgcopydb',
  async unavailable() {
    const res = spawnSync('pgcopydb', ['--version'], { encoding: 'utf8' });
    return res.status === 0 ? null : 'pgcopydb is not installed (Debian package pgcopydb)';
  },
  async run(ctx) {
    const args = [
      'clone',
      '--source', dbUrl(ctx.source),
      '--target', dbUrl(ctx.target),
      '--dir', join(ctx.workDir, 'pgcopydb'),
      '--table-jobs', String(ctx.jobs),
      '--index-jobs', String(ctx.jobs),
      '--no-owner', '--no-acl', '--skip-extensions',
    ];
    const largest = await withDb(ctx.source, async (c) => (await listTables(c))[0]?.bytes ?? 0);
    const thresholdKb = splitThresholdKb(split, largest, ctx.jobs);
    if (thresholdKb !== undefined) args.push('--split-tables-larger-than', `${thresholdKb}kB`);
    const run = await runMeasured('pgcopydb', args, {});
    const how = thresholdKb === undefined ? 'no same-table split' : `tables over ${(thresholdKb / 1024).toFixed(0)} MB split (--split-tables-larger-than)`;
    return { run, note: [failureNote('pgcopydb', run), how].filter(Boolean).join('; ') };
  },
};
