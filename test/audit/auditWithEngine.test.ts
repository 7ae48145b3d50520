import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/runAudit';
import { PostgresSourceEngine } from '../../src/engines/postgres/source';
import { serverSchema } from '../../src/config/configSchema';
import type { SchemaModel } from '../../src/engines/schemaModel';
import { createTestDatabase, PG_ADMIN_URL, postgresAvailable } from './helpers/db';
import { CHECKS, FIXTURE } from './helpers/plantedSource';

const pgUp = postgresAvailable('audit over the PostgreSQL engine model');

/** The same planted source, described by the real PostgreSQL source engine instead of the test helper. */
describe.skipIf(!pgUp)('pre-migration audit over PostgresSourceEngine.describe()', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: PostgresSourceEngine;
  let model: SchemaModel;

  beforeAll(async () => {
    db = await createTestDatabase('tmig_audit_engine');
    await db.client.query(FIXTURE);
    await db.client.query('ANALYZE');
    engine = new PostgresSourceEngine({ serverName: 'audit-test', database: db.name,
      server: serverSchema.parse({ kind: 'postgres', url: PG_ADMIN_URL }) });
    model = await engine.describe();
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it('gets keys as string arrays from the engine (the model contract)', () => {
    for (const t of model.tables) {
      expect(t.key === null || Array.isArray(t.key),
        `${t.schema}.${t.name}: key ${JSON.stringify(t.key)} must be string[] | null (node-pg returns name[] as text "{id}": cast attname::text in array_agg)`).toBe(true);
    }
    expect(model.tables.find((t) => t.name === 'event_log')!.key).toBeNull();
  });

  it('finds the planted problems in the engine model (orphans for the foreign keys the model declares)', async () => {
    const result = await runAudit(db.client, model, CHECKS, { maxRowBytes: 2000 });
    const got = result.findings.map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''} count=${f.count}`).sort();
    const fkTables = new Set(model.tables.filter((t) => t.foreignKeys.length).map((t) => `${t.schema}.${t.name}`));
    const orphans = ['orphans public.order_items.order_id count=1', 'orphans public.orders.customer_id count=2']
      .filter((o) => fkTables.has(o.split(' ')[1].split('.').slice(0, 2).join('.')));
    if (!orphans.length) console.warn('PostgresSourceEngine.describe() declares no foreign keys yet: the orphan checks have nothing to check');
    expect(got).toEqual([
      'identityOverflow public.counters.id count=1',
      'noKey public.event_log count=4',
      'notNull public.customers.email count=1',
      'pattern public.customers.email count=2',
      'range public.customers.created_at count=3',
      'references public.orders.coupon_code count=1',
      'unique public.customers.username count=2',
      'wideRows public.documents count=1',
      ...orphans,
    ].sort());
  });
});
