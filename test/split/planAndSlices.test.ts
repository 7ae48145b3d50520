import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { PostgresSourceEngine } from '../../src/engines/postgres/source';
import type { SchemaModel } from '../../src/engines/schemaModel';
import { discoverPlan, SplitPlanError } from '../../src/split/discoverPlan';
import { SliceSourceEngine } from '../../src/split/sliceSource';
import { boundFilter, slicePredicate, pgSliceDialect, mssqlSliceDialect } from '../../src/split/sliceSql';
import { accountSource } from '../../src/split/accounting';
import { runAudit } from '../../src/audit/runAudit';
import { planTableName, splitPlanSchema, type SplitPlan } from '../../src/contract/splitPlan';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';
import { tmigProcess } from '../helpers/tmigCli';
import { SHARED_DATA, SHARED_SCHEMA, TENANT_ROWS } from './sharedFixture';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeTestConfig } from '../helpers/worker';

const tmig = (config: string, ...args: string[]) => tmigProcess(args, { MIGRATOR_CONFIG: config });

const DB = 'tmig_split_plan';
const endpoint = () => ({ serverName: 'local', server: { url: PG_ADMIN_URL }, database: DB });

async function readAll(stream: NodeJS.ReadableStream): Promise<string[]> {
  let text = '';
  for await (const c of stream) text += (c as Buffer).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

describe('split plan discovery and slice reads (real PostgreSQL)', () => {
  let model: SchemaModel;

  beforeAll(async () => {
    await dropDatabases(DB);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${DB}`));
    await withDb(DB, (db) => db.query(SHARED_SCHEMA + `
      -- A cycle among tenant tables: teams lead by a member, members of a team.
      CREATE TABLE teams (id int PRIMARY KEY, client_id int NOT NULL REFERENCES clients(id), lead_id int);
      CREATE TABLE members (id int PRIMARY KEY, team_id int NOT NULL REFERENCES teams(id));
      ALTER TABLE teams ADD FOREIGN KEY (lead_id) REFERENCES members(id);
      -- Nothing links this table to a tenant or a tenant table.
      CREATE TABLE audit_log (id bigint PRIMARY KEY, message text);
    ` + SHARED_DATA));
    const engine = new PostgresSourceEngine(endpoint());
    model = await engine.describe();
    await engine.close();
  });

  afterAll(async () => {
    await dropDatabases(DB);
  });

  it('discovers rooted tables (also under another column name), reached paths, shared lookups, cycles and the unplaceable table', () => {
    const found = discoverPlan(model, 'client_id');
    expect(found.roots).toEqual(['public.clients']);
    expect(found.plan.rooted).toEqual({
      'public.categories': 'client_id', 'public.clients': 'id', 'public.customers': 'client_id',
      'public.orders': 'OwnerClient', 'public.teams': 'client_id',
    });
    expect(found.plan.reached['public.order_lines'].steps.map((s) => [s.from, s.columns, s.to, s.refColumns]))
      .toEqual([['public.order_lines', ['order_no'], 'public.orders', ['order_no']]]);
    expect(found.plan.reached['public.line_notes'].steps.map((s) => [s.from, s.to]))
      .toEqual([['public.line_notes', 'public.order_lines'], ['public.order_lines', 'public.orders']]);
    expect(found.plan.reached['public.line_notes'].steps[0].columns).toEqual(['order_no', 'line_no']);
    expect(found.plan.reached['public.members'].steps.map((s) => s.to)).toEqual(['public.teams']);
    // Enrollments reach a tenant over categories and over customers: both listed, one chosen.
    const multi = found.multiplePaths.find((m) => m.table === 'public.enrollments')!;
    expect(multi.paths.map((p) => p.steps[0].to).sort()).toEqual(['public.categories', 'public.customers']);
    expect(found.plan.alternatePaths['public.enrollments']).toHaveLength(1);
    expect(found.plan.reached['public.enrollments'].steps.map((st) => st.to)).toEqual(['public.categories']);
    expect(found.sharedDiscovered).toEqual(['public.countries']);
    expect(found.cycles).toEqual([['public.members', 'public.teams']]);
    expect(found.unplaceable).toEqual(['public.audit_log']);
  });

  it('refuses a slice whose plan cannot place a table, naming the table', async () => {
    const slice = new SliceSourceEngine(new PostgresSourceEngine(endpoint()), { tenantKey: { column: 'client_id', value: '1' } }, `${DB} tenant 1`);
    try {
      await expect(slice.describe()).rejects.toThrow(/cannot place table public\.audit_log/);
      await expect(slice.describe()).rejects.toBeInstanceOf(SplitPlanError);
    } finally {
      await slice.close();
    }
  });

  it('reads each tenant slice row for row equal to the source filtered by that tenant, by index where one exists', async () => {
    const found = discoverPlan(model, 'client_id', { excluded: ['public.audit_log', 'public.members', 'public.teams'] });
    expect(found.unplaceable).toEqual([]);
    const plan = splitPlanSchema.parse({ ...found.plan, onTwoTenants: 'skip' });
    for (const k of [1, 4]) {
      const slice = new SliceSourceEngine(new PostgresSourceEngine(endpoint()), { tenantKey: { value: String(k) }, plan }, `tenant ${k}`);
      try {
        const sliceModel = await slice.describe();
        expect(sliceModel.tables.map(planTableName)).not.toContain('public.audit_log');
        const notes = Object.fromEntries(sliceModel.notes.map((n) => [n.object, n.message]));
        expect(notes['public.customers']).toMatch(/index customers_tenant .*no scan/);
        expect(notes['public.categories']).toMatch(/SCANNED: no index starts with client_id/);
        expect(notes['public.order_lines']).toMatch(/found from the tenant key, then by index order_lines_pkey/);
        expect(sliceModel.notes.filter((n) => n.object === 'public.enrollments').map((n) => n.message).join('\n'))
          .toMatch(/SCANNED: no index starts with category_id on public\.enrollments.*\(category_id\)/);
        for (const [table, sql] of Object.entries(TENANT_ROWS)) {
          const t = sliceModel.tables.find((x) => planTableName(x) === table)!;
          const cols = t.columns.map((c) => `coalesce(x.${pgSliceDialect.ident(c.name)}::text, '')`).join(', ');
          const expected = await withDb(DB, (db) => db.query(`SELECT concat_ws('|', ${cols}) AS line FROM (${sql(k)}) x ORDER BY 1`)).then((r) => r.rows.map((x) => x.line as string));
          expect(t.estimatedRows, table).toBe(expected.length);
          expect(await slice.count(t), table).toBe(expected.length);
          // Read in chunks of 7 rows with keyset pagination, as the copy does.
          const lines: string[] = [];
          let after: string[] | null = null;
          for (;;) {
            const chunk = await readAll(await slice.readChunk({ table: t, range: { lo: null, hi: null }, after, limit: 7 }));
            lines.push(...chunk);
            if (chunk.length < 7) break;
            const last = chunk[chunk.length - 1].split('\t');
            after = t.key!.map((kc) => last[t.columns.findIndex((c) => c.name === kc)]);
          }
          const asPipe = lines.map((l) => l.split('\t').map((v) => (v === '\\N' ? '' : v.replace(/\\t/g, '\t'))).join('|')).sort();
          expect(asPipe, `tenant ${k} ${table}`).toEqual([...expected].sort());
        }
        // Range splitting inside a slice: ranges cover the slice exactly.
        const orders = sliceModel.tables.find((x) => x.name === 'orders')!;
        const ranges = await slice.planRanges(orders, 3);
        expect(ranges.length).toBe(3);
        const counts = await Promise.all(ranges.map((r) => slice.count(orders, r)));
        expect(counts.reduce((a, b) => a + b, 0)).toBe(orders.estimatedRows);
        expect(counts.every((c) => c > 0)).toBe(true);
        // A reached table: its ranges carry their key bounds into the driving subquery and still cover the slice exactly.
        const lines = sliceModel.tables.find((x) => x.name === 'order_lines')!;
        expect(lines.rowFilterKeyBound).toEqual({ expression: 's1."order_no"', type: 'bigint' });
        const lineRanges = await slice.planRanges(lines, 3);
        expect(lineRanges.length).toBe(3);
        const lineCounts = await Promise.all(lineRanges.map((r) => slice.count(lines, r)));
        expect(lineCounts.reduce((a, b) => a + b, 0)).toBe(lines.estimatedRows);
        // The planner drives the slice from the tenant key: order_lines is probed by its index, never scanned.
        const bounded = boundFilter(pgSliceDialect, lines, { range: lineRanges[1], after: [lineRanges[1].lo!, '0'] });
        expect(bounded).toContain(`s1."order_no" > '${lineRanges[1].lo}'::bigint AND s1."order_no" <= '${lineRanges[1].hi}'::bigint`);
        const plans = await withDb(DB, (db) => db.query(`EXPLAIN (FORMAT JSON) SELECT * FROM ONLY public.order_lines WHERE ${bounded} ORDER BY order_no, line_no LIMIT 7`));
        const nodes: { 'Node Type': string; 'Relation Name'?: string }[] = [];
        const walk = (n: { Plans?: unknown[] } & Record<string, unknown>) => { nodes.push(n as never); (n.Plans as typeof n[] | undefined)?.forEach(walk); };
        walk((plans.rows[0]['QUERY PLAN'] as { Plan: never }[])[0].Plan);
        expect(nodes.filter((n) => n['Relation Name'] === 'order_lines').map((n) => n['Node Type'])).not.toContain('Seq Scan');
        expect(nodes.some((n) => n['Relation Name'] === 'order_lines')).toBe(true);
      } finally {
        await slice.close();
      }
    }
  });

  it('accounts for every row: slices plus no-tenant, unknown-tenant rows; two-tenant rows counted exactly', async () => {
    const found = discoverPlan(model, 'client_id', { excluded: ['public.audit_log', 'public.members', 'public.teams'] });
    const plan: SplitPlan = { ...splitPlanSchema.parse(found.plan), reportKeys: true };
    const acc = await withDb(DB, (db) => accountSource(async (sql) => (await db.query(sql)).rows, pgSliceDialect, model, plan, ['1', '2', '3', '4', '5']));
    const t = Object.fromEntries(acc.tables.map((x) => [x.table, x]));
    expect(t['public.customers']).toMatchObject({ noTenantRows: 2, unknownTenantRows: 240, unknownTenants: 1, twoTenantRows: 0, balanced: true });
    expect(t['public.customers'].tenantRows).toEqual({ 1: 40, 2: 80, 3: 120, 4: 160, 5: 200 });
    expect(t['public.categories']).toMatchObject({ noTenantRows: 1, unknownTenantRows: 6, balanced: true });
    expect(t['public.enrollments'].twoTenantRows).toBe(3);
    expect(t['public.enrollments'].sampleKeys!.twoTenants).toHaveLength(3);
    expect(t['public.order_lines']).toMatchObject({ noTenantRows: 0, twoTenantRows: 0, balanced: true });
    expect(t['public.countries']).toMatchObject({ role: 'shared', sourceRows: 3 });
    expect(acc.failures.join('\n')).toMatch(/public\.customers: 2 rows with no tenant, 240 rows of 1 tenants not in the wave/);
    expect(acc.failures.join('\n')).toMatch(/public\.enrollments: 3 rows reach two tenants/);
    // Without reportKeys no key leaves the source.
    const quiet = await withDb(DB, (db) => accountSource(async (sql) => (await db.query(sql)).rows, pgSliceDialect, model, { ...plan, reportKeys: false, onOrphans: 'skip', onTwoTenants: 'skip' }, ['1', '2', '3', '4', '5']));
    expect(quiet.tables.every((x) => x.sampleKeys === undefined)).toBe(true);
    expect(quiet.failures).toEqual([]);
    expect(quiet.warnings.length).toBeGreaterThanOrEqual(3);
  });

  it('audits a slice: only the tenant\'s rows, FK breaks inside the slice block, tables every slice must scan are warned with their size', async () => {
    const found = discoverPlan(model, 'client_id', { excluded: ['public.audit_log', 'public.members', 'public.teams'] });
    const slice = new SliceSourceEngine(new PostgresSourceEngine(endpoint()), { tenantKey: { value: '1' }, plan: splitPlanSchema.parse(found.plan) }, 'tenant 1');
    try {
      const sliceModel = await slice.describe();
      const audit = await withDb(DB, (db) => runAudit(db, sliceModel));
      const scan = audit.findings.find((f) => f.check === 'sliceScan' && f.table === 'public.categories')!;
      expect(scan.policy).toBe('warn');
      expect(scan.message).toMatch(/SCANNED: no index starts with client_id.*~37 rows/);
      expect(audit.findings.some((f) => f.check === 'sliceScan' && f.table === 'public.customers')).toBe(false);
      // Tenant 1's slice (by the category path) holds one enrollment whose customer is tenant 3's.
      const orphan = audit.findings.find((f) => f.check === 'orphans' && f.table === 'public.enrollments')!;
      expect(orphan.count).toBe(1);
      expect(audit.blocked).toBe(true);
    } finally {
      await slice.close();
    }
  });

  it('writes the same slice predicate for SQL Server with bracket quoting and a typed literal', () => {
    const found = discoverPlan(model, 'client_id', { excluded: ['public.audit_log', 'public.members', 'public.teams'] });
    const plan = splitPlanSchema.parse(found.plan);
    const byName = new Map(model.tables.map((x) => [planTableName(x), x]));
    const notes = byName.get('public.line_notes')!;
    const sql = slicePredicate(mssqlSliceDialect, plan, notes, "7'", (n) => byName.get(n)!);
    // The driving membership (tenant key first, hop by hop) plus the exact EXISTS, as the first FK is composite.
    expect(sql).toBe(`[public].[line_notes].[order_no] IN (SELECT s1.[order_no] FROM [public].[order_lines] s1 WHERE s1.[order_no] IN `
      + `(SELECT s2.[order_no] FROM [public].[orders] s2 WHERE s2.[OwnerClient] = CAST(N'7''' AS integer))) AND `
      + `EXISTS (SELECT 1 FROM [public].[order_lines] s1 JOIN [public].[orders] s2 ON s2.[order_no] = s1.[order_no] `
      + `WHERE s1.[order_no] = [public].[line_notes].[order_no] AND s1.[line_no] = [public].[line_notes].[line_no] AND s2.[OwnerClient] = CAST(N'7''' AS integer))`);
    expect(createHash('sha1').update(sql!).digest('hex')).toHaveLength(40);
  });

  it('tmig split plan prints the plan for review and refuses the unplaceable table by name; split wave refuses uncovered rows, then writes phase manifests', async () => {
    const config = writeTestConfig();
    const dir = mkdtempSync(join(tmpdir(), 'tmig-split-cli-'));
    const refused = await tmig(config, 'split', 'plan', '--source', `local/${DB}`, '--column', 'client_id');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot place table public\.audit_log/);
    expect(parseYaml(refused.stdout).review.unplaceable).toEqual(['public.audit_log']);
    const ok = await tmig(config, 'split', 'plan', '--source', `local/${DB}`, '--column', 'client_id', '--exclude', 'public.audit_log,public.members,public.teams', '--format', 'json');
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(doc.review.cycles).toEqual([['public.members', 'public.teams']]);
    // Where a slice would scan for want of an index: named, with the index that fixes it (also on stderr).
    expect(doc.review.scans).toEqual([
      { table: 'public.categories', column: 'client_id', for: ['public.categories'], createIndex: 'CREATE INDEX "ix_categories_client_id_id" ON "public"."categories" ("client_id", "id");' },
      { table: 'public.enrollments', column: 'category_id', for: ['public.enrollments'], createIndex: 'CREATE INDEX "ix_enrollments_category_id" ON "public"."enrollments" ("category_id");' },
    ]);
    expect(ok.stderr).toMatch(/warning: public\.enrollments: no index starts with category_id, so each slice of it scans public\.enrollments \(~\d+ rows\) for every tenant; fix: CREATE INDEX/);
    expect(doc.review.multiplePaths[0].table).toBe('public.enrollments');
    const planPath = join(dir, 'plan.json');
    writeFileSync(planPath, ok.stdout);
    const waveArgs = ['split', 'wave', '--plan', planPath, '--source', `local/${DB}`, '--tenants-from', 'SELECT id FROM clients WHERE id <= 5 ORDER BY id',
      '--target-server', 'target', '--target-database', 'split_{tenant}', '--phase-size', '2', '--out', dir];
    const blocked = await tmig(config, ...waveArgs);
    expect(blocked.code).toBe(4);
    expect(blocked.stdout).toMatch(/REFUSED: table public\.customers: 2 rows with no tenant, 240 rows of 1 tenants not in the wave/);
    expect(existsSync(join(dir, 'split-phase-01.json'))).toBe(false);
    writeFileSync(planPath, JSON.stringify({ ...doc, onOrphans: 'skip', onTwoTenants: 'skip' }));
    const written = await tmig(config, ...waveArgs);
    expect(written.code).toBe(0);
    const phases = ['01', '02', '03'].map((p) => JSON.parse(readFileSync(join(dir, `split-phase-${p}.json`), 'utf8')));
    expect(phases.map((w) => w.tenants.map((t: { tenantId: string }) => t.tenantId))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(phases[0].tenants[0]).toMatchObject({ source: { server: 'local', database: DB, split: { tenantKey: { value: '1' }, plan: 'split' } }, target: { server: 'target', database: 'split_1' } });
    expect(phases[0].splitPlans.split.rooted['public.orders']).toBe('OwnerClient');
    const acc = JSON.parse(readFileSync(join(dir, 'split-accounting.json'), 'utf8'));
    expect(acc.tables.find((t: { table: string }) => t.table === 'public.enrollments').twoTenantRows).toBe(3);
  }, 240_000); // four CLI processes; slow on a loaded machine
});
