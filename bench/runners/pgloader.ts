import { spawnSync } from 'node:child_process';
import { runMeasured } from '../measure';
import { dbUrl } from '../pg';
import { failureNote, type Runner } from './runner';

function pgloaderUrl(database: string): string {
  return dbUrl(database).replace(/^postgres(ql)?:/, 'pgsql:');
}

/** pgloader 3.5.2+ reads PostgreSQL sources; older versions cannot, and the harness says so. */
export function pgloaderSupportsPgSource(versionOutput: string): boolean {
  const m = /version "?(\d+)\.(\d+)\.(\d+)/.exec(versionOutput);
  if (!m) return false;
  const [major, minor, patch] = m.slice(1).map(Number);
  return major > 3 || (major === 3 && (minor > 5 || (minor === 5 && patch >= 2)));
}

export const pgloaderRunner: Runner = {
  tool: 'pgloader',
  async unavailable() {
    const res = spawnSync('pgloader', ['--version'], { encoding: 'utf8' });
    if (res.status !== 0) return 'pgloader is not installed (Debian package pgloader)';
    if (!pgloaderSupportsPgSource(res.stdout)) return `${res.stdout.split('\n')[0]} has no PostgreSQL source support (needs 3.5.2+)`;
    return null;
  },
  async run(ctx) {
    // workers = parallel readers/writers; concurrency = writers per table.
    const args = [
      '--no-ssl-cert-verification',
      '--root-dir', ctx.workDir,
      '--with', `workers = ${Math.max(2, ctx.jobs)}`,
      '--with', `concurrency = ${ctx.jobs}`,
      pgloaderUrl(ctx.source),
      pgloaderUrl(ctx.target),
    ];
    const run = await runMeasured('pgloader', args, {});
    return { run, note: failureNote('pgloader', run) };
  },
};
