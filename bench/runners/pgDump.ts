import { join } from 'node:path';
import { runMeasured } from '../measure';
import { dbUrl } from '../pg';
import { failureNote, type Runner } from './runner';

/** `pg_dump -Fd -j N` into a scratch directory, then `pg_restore -j N`; the time covers both. */
const SCRIPT = `
set -euo pipefail
pg_dump -Fd -j "$JOBS" --no-owner --no-acl -f "$DUMP_DIR" "$SRC"
pg_restore -j "$JOBS" --no-owner --no-acl --exit-on-error -d "$DST" "$DUMP_DIR"
`;

export const pgDumpRunner: Runner = {
  tool: 'pg-dump',
  async unavailable() {
    return null;
  },
  async run(ctx) {
    const run = await runMeasured('bash', ['-c', SCRIPT], {
      env: { ...process.env, SRC: dbUrl(ctx.source), DST: dbUrl(ctx.target), JOBS: String(ctx.jobs), DUMP_DIR: join(ctx.workDir, 'dump') },
    });
    return { run, note: failureNote('pg_dump/pg_restore', run) };
  },
};
