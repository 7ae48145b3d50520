/**
 * Key values (here: emails) stay out of copy heartbeats and, unless reportKeys is set, out of audit
 * findings. The checkpoint row in the target is where a resumed copy finds its position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { writeTestConfig } from '../helpers/worker';
import { dropDatabases, withDb } from '../helpers/pg';
import { resetConfigCache } from '../../src/config/loadConfig';
import { copyTableSlice, type CopySliceResult } from '../../src/activities/copyTableSlice';
import type { AuditResult } from '../../src/contract/auditResult';
import { createSchema } from '../../src/activities/applySchema';
import { describeSource, prepareTarget } from '../../src/activities/prepareTarget';
import { planCopy } from '../../src/activities/planCopy';
import { auditTenantSource } from '../../src/activities/auditTenantSource';
import type { TenantRef } from '../../src/contract/tenantRef';

const SRC = 'tmig_keypriv_src';
const DST = 'tmig_keypriv_dst';

describe('key values stay out of heartbeats and findings', () => {
  const ref = (reportKeys?: boolean): TenantRef => ({ tenantId: 'kp', source: { server: 'local', database: SRC }, target: { server: 'target', database: DST },
    options: { reportKeys, auditChecks: [{ table: 'public.users', column: 'email', check: 'pattern', pattern: '^[a-z]+@example\\.org$' }] } });

  beforeAll(async () => {
    process.env.MIGRATOR_CONFIG = writeTestConfig();
    resetConfigCache();
    await dropDatabases(SRC, DST);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${SRC}`));
    await withDb(SRC, (db) => db.query(`CREATE TABLE users (email text PRIMARY KEY, name text);
      INSERT INTO users SELECT 'person' || g || '@example.com', 'n' || g FROM generate_series(1, 3000) g`));
    await prepareTarget(ref());
    await describeSource(ref());
    await createSchema(ref());
    await planCopy(ref(), { splitRowsThreshold: 1_000_000, rangesPerTable: 1 });
  });

  afterAll(async () => {
    await dropDatabases(SRC, DST);
    delete process.env.MIGRATOR_CONFIG;
    resetConfigCache();
  });

  it('copy heartbeats carry counts, not keys; the checkpoint row has the position', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const r = await env.run(copyTableSlice, ref(), { table: 'public.users', rangeId: 0, chunkRows: 100, budgetMs: 60_000 }) as CopySliceResult;
    expect(r.done).toBe(true);
    expect(beats.length).toBeGreaterThan(10);
    expect(JSON.stringify(beats)).not.toMatch(/@example|person/);
    expect(beats[beats.length - 1]).toMatchObject({ table: 'public.users', rangeId: 0, rowsDone: 3000 });
    const cp = await withDb(DST, (db) => db.query(`SELECT last_key FROM _tmig.checkpoint WHERE table_name = 'public.users'`));
    expect(cp.rows[0].last_key[0]).toMatch(/@example\.com$/);
  });

  it('audit findings count rows; sample keys only with reportKeys', async () => {
    const hidden = await new MockActivityEnvironment().run(auditTenantSource, ref()) as AuditResult;
    const shown = await new MockActivityEnvironment().run(auditTenantSource, ref(true)) as AuditResult;
    const pattern = (a: typeof hidden) => a.findings.find((f) => f.check === 'pattern')!;
    expect(pattern(hidden).count).toBe(3000);
    expect(pattern(hidden).sampleKeys).toEqual([]);
    expect(JSON.stringify(hidden)).not.toMatch(/person\d|example\.com/);
    expect(pattern(shown).sampleKeys.length).toBeGreaterThan(0);
    expect(pattern(shown).sampleKeys[0]).toMatch(/^email=person\d+@example\.com$/);
  });
});
