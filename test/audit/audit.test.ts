import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'pg';
import { runAudit } from '../../src/audit/runAudit';
import type { AuditResult } from '../../src/contract/auditResult';
import type { SchemaModel } from '../../src/engines/schemaModel';
import { createTestDatabase, postgresAvailable } from './helpers/db';
import { describePublicSchema } from './helpers/pgModel';
import { CHECKS, FIXTURE } from './helpers/plantedSource';
import { auditSource } from '../../src/audit/auditSource';
import { describeBlocking } from '../../src/contract/auditResult';
import { configSchema } from '../../src/config/configSchema';
import { PG_ADMIN_URL } from './helpers/db';

const pgUp = postgresAvailable('audit tests');

describe.skipIf(!pgUp)('pre-migration audit (PostgreSQL source)', () => {
  let db: { name: string; client: Client; drop: () => Promise<void> };
  let model: SchemaModel;
  let result: AuditResult;

  beforeAll(async () => {
    db = await createTestDatabase('tmig_audit');
    await db.client.query(FIXTURE);
    await db.client.query('ANALYZE');
    model = await describePublicSchema(db.client);
    model.notes.push(
      { severity: 'lossy', object: 'public.orders.amount', message: 'planted: money kept at 2 decimals' },
      { severity: 'info', object: 'public.orders.id', message: 'not an audit concern' },
      { severity: 'unsupported', object: 'public.customers.email', message: 'planted: no faithful mapping' },
      { severity: 'unsupported', object: 'public.orders.orders_customer_fk', message: 'not a column: shown as a conversion note only' },
    );
    result = await runAudit(db.client, model, CHECKS, { maxRowBytes: 2000 });
  });
  afterAll(async () => { await db?.drop(); });

  it('finds exactly the planted problems with their counts and policies', () => {
    const got = result.findings
      .map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''} count=${f.count} ${f.policy}`)
      .sort();
    expect(got).toEqual([
      'identityOverflow public.counters.id count=1 warn',
      'lossyType public.orders.amount count=4 warn',
      'unsupportedType public.customers.email count=9 block',
      'noKey public.event_log count=4 warn',
      'notNull public.customers.email count=1 warn',
      'orphans public.order_items.order_id count=1 block',
      'orphans public.orders.customer_id count=2 warn',
      'pattern public.customers.email count=2 block',
      'range public.customers.created_at count=3 warn',
      'references public.orders.coupon_code count=1 warn',
      'unique public.customers.username count=2 warn',
      'wideRows public.documents count=1 warn',
    ].sort());
    expect(result.blocked).toBe(true);
    expect(describeBlocking(result).split('; ').map((l) => l.split(':')[0]).sort())
      .toEqual(['orphans public.order_items.order_id', 'pattern public.customers.email', 'unsupportedType public.customers.email']);
    expect(result.checksRun).toBeGreaterThanOrEqual(CHECKS.length + model.tables.length);
  });

  it('gives sample keys of the offending rows', () => {
    const by = (check: string) => result.findings.find((f) => f.check === check)!;
    expect(by('pattern').sampleKeys).toEqual(['id=3', 'id=4']);
    expect(by('range').sampleKeys).toEqual(['id=6', 'id=7', 'id=9']);
    expect(by('unique').sampleKeys).toEqual(['id=7', 'id=8']);
    expect(by('references').sampleKeys).toEqual(['id=4']);
    expect(by('wideRows').sampleKeys).toEqual(['id=2']);
    expect(result.findings.find((f) => f.check === 'orphans' && f.table === 'public.orders')!.sampleKeys).toEqual(['id=3', 'id=4']);
    expect(by('identityOverflow').message).toMatch(/30001 = 91\.\d% of its maximum 32767/);
  });

  it('limits sample keys to the configured size', async () => {
    const r = await runAudit(db.client, model, [{ table: 'customers', column: 'email', check: 'notNull', policy: 'block' },
      { table: 'customers', column: 'id', check: 'range', min: 3 }], { sampleSize: 1, maxRowBytes: 1 << 20 });
    const range = r.findings.find((f) => f.check === 'range')!;
    expect(range.count).toBe(2);
    expect(range.sampleKeys).toEqual(['id=1']);
  });

  it('runs the same audit through a server reference from the worker config (read-only session)', async () => {
    const config = configSchema.parse({ servers: { 'pg-src': { kind: 'postgres', url: PG_ADMIN_URL } } });
    const viaRef = await auditSource(config, { server: 'pg-src', database: db.name }, model, CHECKS, { maxRowBytes: 2000 });
    expect(viaRef.findings.map((f) => [f.check, f.table, f.count])).toEqual(result.findings.map((f) => [f.check, f.table, f.count]));
    await expect(auditSource(config, { server: 'nope', database: db.name }, model)).rejects.toThrow(/server "nope" is not in the worker config/);
  });

  it('rejects a manifest check naming an unknown table or column, and a broken regex', async () => {
    await expect(runAudit(db.client, model, [{ table: 'nope', column: 'x', check: 'notNull' }]))
      .rejects.toThrow(/auditChecks\[0\].*table "nope" is not in the source/);
    await expect(runAudit(db.client, model, [{ table: 'customers', column: 'mail', check: 'notNull' }]))
      .rejects.toThrow(/column "mail" is not in public\.customers/);
    await expect(runAudit(db.client, model, [{ table: 'customers', column: 'email', check: 'pattern', pattern: '([' }]))
      .rejects.toMatchObject({ name: 'BadInput' });
  });
});
