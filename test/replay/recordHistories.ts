/**
 * Records workflow histories into test/replay/histories/*.json for the replay test, so that
 * histories made by an older version of the workflow code keep being replayed by the current one.
 * Run it against a real stack: `TEST_PG_URL=... npx tsx test/replay/recordHistories.ts`.
 * The recorded tenants are synthetic (generated rows), so the files hold no personal data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startStack } from '../helpers/stack';
import { temporalCliPath } from '../helpers/temporal';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import { waitFor as waitUntil } from '../helpers/waitFor';

const out = join(__dirname, 'histories');
const LEDGER_ROWS = 200_000;
const dbs = ['tmig_rec_src_big', 'tmig_rec_dst_big', 'tmig_rec_src_a', 'tmig_rec_dst_a', 'tmig_rec_src_b', 'tmig_rec_dst_b', 'tmig_rec_dst_missing'];

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 120_000) => waitUntil(what, probe, { timeoutMs: ms, everyMs: 100 });

async function main() {
  mkdirSync(out, { recursive: true });
  await dropDatabases(...dbs);
  await withDb('postgres', (db) => db.query('CREATE DATABASE tmig_rec_src_big'));
  await withDb('tmig_rec_src_big', (db) => db.query(`
    CREATE TABLE ledger (id bigint PRIMARY KEY, account text NOT NULL, amount numeric(18,4));
    INSERT INTO ledger SELECT g, 'acct-' || (g % 977), round((g * 7.123) % 100000, 4) FROM generate_series(1, ${LEDGER_ROWS}) g;
    CREATE TABLE notes (id int PRIMARY KEY, body text);
    INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 500) g;
    ANALYZE;`));
  await createSampleTenant(PG_ADMIN_URL, 'tmig_rec_src_a', 300);
  await createSampleTenant(PG_ADMIN_URL, 'tmig_rec_src_b', 800);
  const stack = await startStack();
  const { client } = stack.env;
  const save = async (name: string, workflowId: string) => {
    // The temporal CLI writes the standard JSON history format (what `historyFromJSON` reads).
    const json = execFileSync(temporalCliPath()!, ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.env.address,
      '--namespace', 'default', '--output', 'json'], { maxBuffer: 256 * 1024 * 1024 }).toString();
    writeFileSync(join(out, `${name}.json`), json.endsWith('\n') ? json : json + '\n');
    console.log(`recorded ${name} (${workflowId}): ${(JSON.parse(json).events ?? []).length} events`);
  };
  try {
    // 1. One tenant caught mid-copy: paused while its ranges copy, history taken while paused.
    const tenant = await client.workflow.start('tenantMigration', {
      taskQueue: 'migrations', workflowId: 'tenant-rec-midcopy',
      args: [{ tenantId: 'rec-midcopy', source: { server: 'local', database: 'tmig_rec_src_big' }, target: { server: 'target', database: 'tmig_rec_dst_big' },
        options: { chunkRows: 2_000, splitRowsThreshold: 50_000, rangesPerTable: 2, tableConcurrency: 2 } }],
    });
    await waitFor('copy under way', () => withDb('tmig_rec_dst_big', (db) => db.query(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM _tmig.checkpoint`))
      .then((r) => r.rows[0].n >= 20_000).catch(() => false));
    await tenant.signal('pause');
    await waitFor('copies stopped', async () => {
      const p = await tenant.query<{ phase: string; paused: boolean; activeCopies?: number }>('progress');
      return p.phase === 'copy' && p.paused && p.activeCopies === 0;
    });
    await save('tenant-midcopy-paused', 'tenant-rec-midcopy');
    await tenant.signal('resume');
    await tenant.result();
    await save('tenant-complete-after-pause', 'tenant-rec-midcopy');

    // 2. A wave: two sample tenants (one audited), one failing on a missing source.
    const wave = await client.workflow.start('migrationWave', {
      taskQueue: 'migrations', workflowId: 'wave-rec-wave',
      args: [{
        waveId: 'rec-wave', options: { maxConcurrentTenants: 2, chunkRows: 300 },
        tenants: [
          { tenantId: 'rec-a', source: { server: 'local', database: 'tmig_rec_src_a' }, target: { server: 'target', database: 'tmig_rec_dst_a' }, options: { audit: true } },
          { tenantId: 'rec-b', source: { server: 'local', database: 'tmig_rec_src_b' }, target: { server: 'target', database: 'tmig_rec_dst_b' }, options: { splitRowsThreshold: 400, rangesPerTable: 2 } },
          { tenantId: 'rec-missing', source: { server: 'local', database: 'tmig_rec_no_such_db' }, target: { server: 'target', database: 'tmig_rec_dst_missing' } },
        ],
      }],
    });
    const result = await wave.result();
    console.log('wave:', JSON.stringify({ ok: result.succeeded.length, failed: result.failed.length }));
    await save('wave', 'wave-rec-wave');
    await save('wave-tenant-audited', 'tenant-rec-a');
    await save('wave-tenant-split', 'tenant-rec-b');
    await save('wave-tenant-failed', 'tenant-rec-missing');
    await save('governor-local', 'governor-local');
  } finally {
    await stack.stop();
    await dropDatabases(...dbs);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
