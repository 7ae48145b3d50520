import { runMeasured } from '../measure';
import { dbUrl, listLeafTables, withDb } from '../pg';
import { failureNote, type Runner } from './runner';

/**
 * The physical baseline: pre-data DDL, then per table `psql COPY TO STDOUT | psql COPY FROM STDIN`
 * (up to --jobs tables at once), then post-data DDL (indexes, constraints) — what a careful operator
 * would script by hand. Schema is split into pre/post-data so indexes are built once, after the data,
 * as every other tool does.
 */
const SCRIPT = `
set -euo pipefail
pg_dump --section=pre-data --no-owner --no-acl "$SRC" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" >/dev/null
printf '%s\\0' "$@" | xargs -0 -n1 -P "$JOBS" bash -c '
  set -o pipefail
  psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY $1 TO STDOUT" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "COPY $1 FROM STDIN"
' copy-table
pg_dump --section=post-data --no-owner --no-acl "$SRC" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" >/dev/null
`;

export const rawPipeRunner: Runner = {
  tool: 'raw-pipe',
  async unavailable() {
    return null;
  },
  async run(ctx) {
    // Biggest first, so the long table does not start last; partitions one by one, as pg_dump does.
    const tables = await withDb(ctx.source, (c) => listLeafTables(c));
    const run = await runMeasured('bash', ['-c', SCRIPT, 'raw-pipe', ...tables.map((t) => t.qualified)], {
      env: { ...process.env, SRC: dbUrl(ctx.source), DST: dbUrl(ctx.target), JOBS: String(ctx.jobs) },
    });
    return { run, note: failureNote('raw pipe', run) };
  },
};
