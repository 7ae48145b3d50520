import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { auditTenantSource } from '../../src/activities/auditTenantSource';
import { checkTenantIntegrity } from '../../src/activities/checkTenantIntegrity';
import { reportTenant } from '../../src/activities/reportRun';
import { loadConfig, resetConfigCache } from '../../src/config/loadConfig';
import { sourceLabel } from '../../src/engines/registry';
import { openTarget } from '../../src/config/openEngines';
import type { TenantRef } from '../../src/contract/tenantRef';
import type { TenantMigrationResult } from '../../src/contract/migration';
import { createTestDatabase, PG_ADMIN_URL, postgresAvailable } from './helpers/db';
import { describePublicSchema } from './helpers/pgModel';
import { CHECKS, FIXTURE } from './helpers/plantedSource';

const pgUp = postgresAvailable('audit/integrity/report activity tests');

/** The activities as a worker runs them (outside Temporal: no heartbeat target), over a real source and target. */
describe.skipIf(!pgUp)('audit, integrity and report activities', () => {
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let ref: TenantRef & { waveId: string };
  const savedConfig = process.env.MIGRATOR_CONFIG;

  beforeAll(async () => {
    source = await createTestDatabase('tmig_audit_act_src');
    await source.client.query(FIXTURE);
    dir = mkdtempSync(join(tmpdir(), 'tmig-audit-act-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      servers: { 'pg-local': { kind: 'postgres', url: PG_ADMIN_URL } }, reports: { dir: join(dir, 'reports') } }));
    process.env.MIGRATOR_CONFIG = join(dir, 'config.json');
    resetConfigCache();
    ref = {
      tenantId: 'school-7', waveId: 'w1',
      source: { server: 'pg-local', database: source.name },
      target: { server: 'pg-local', database: `tmig_audit_act_tgt_${randomBytes(4).toString('hex')}` },
      options: { auditChecks: CHECKS },
    };
    // The target as the pipeline leaves it: prepared by tmig, model stored, then schema + rows (same fixture).
    const target = openTarget(loadConfig(), ref.target);
    await target.prepare(ref.tenantId, sourceLabel(ref.source));
    const model = await describePublicSchema(source.client);
    model.notes.push({ severity: 'lossy', object: 'public.orders.amount', message: 'planted lossy note' });
    await target.saveModel(model);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = '/' + ref.target.database;
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    await c.query(FIXTURE);
    await c.end();
  });
  afterAll(async () => {
    await source?.drop();
    const a = new Client({ connectionString: PG_ADMIN_URL });
    await a.connect();
    if (ref) await a.query(`DROP DATABASE IF EXISTS "${ref.target.database}" WITH (FORCE)`);
    await a.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.env.MIGRATOR_CONFIG = savedConfig;
    resetConfigCache();
  });

  it('audits the source over the stored model with the manifest checks, and reports the result', async () => {
    const audit = await auditTenantSource(ref);
    expect(audit.findings.map((f) => `${f.check} ${f.table} ${f.count}`).sort()).toEqual([
      'identityOverflow public.counters 1', 'lossyType public.orders 4', 'noKey public.event_log 4', 'notNull public.customers 1',
      'orphans public.order_items 1', 'orphans public.orders 2', 'pattern public.customers 2', 'range public.customers 3',
      'references public.orders 1', 'unique public.customers 2',
    ]);

    const findings = await checkTenantIntegrity(ref);
    // The target carries the source's orphan under a validated key: the one structural failure.
    expect(findings.filter((f) => !f.ok).map((f) => f.message)).toEqual([
      'public.order_items: foreign key order_items_order_id_fkey (order_id) -> public.orders(id); 1 row(s) have no parent row',
    ]);

    const result: TenantMigrationResult = {
      tenantId: ref.tenantId, ok: false, error: { type: 'ValidationMismatch', message: 'integrity failed' },
      tables: [], phases: [], throughput: [], rowsCopied: 0, bytesCopied: 0,
      validation: { mode: 'full', ok: false, tables: [], findings },
    };
    const published = await reportTenant(ref, result, audit);
    expect(published.verdict).toBe('failed');
    expect(published.uploaded).toEqual([]);
    expect(published.htmlPath).toBe(join(dir, 'reports', 'tenants', 'school-7', 'report.html'));
    const json = JSON.parse(readFileSync(published.jsonPath, 'utf8'));
    expect(json).toMatchObject({ waveId: 'w1', source: ref.source, target: ref.target,
      summary: { auditFindings: 10, auditBlocked: true, integrityFailures: 1 }, conversion: { sourceKind: 'postgres' } });
    expect(json.conversion.notes).toEqual([{ severity: 'lossy', object: 'public.orders.amount', message: 'planted lossy note' }]);
    expect(JSON.stringify(json)).not.toContain('postgres://');
  });
});
