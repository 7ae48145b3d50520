import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runMeasured } from '../measure';
import { dbUrl } from '../pg';
import { failureNote, type Runner } from './runner';

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
    const run = await runMeasured('pgcopydb', args, {});
    return { run, note: failureNote('pgcopydb', run) };
  },
};
