import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assessScript, runAssessment } from '../../src/assess/assessment';
import { parseDdlScript, splitBatches } from '../../src/engines/mssql/scriptParser';
import { main } from '../../src/cli/main';
import { createScratchDb } from './pgScratch';

const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'mssql', name);

describe('T-SQL script parsing', () => {
  it('splits GO batches (GO alone on a line, any case, with a count or comment)', () => {
    const b = splitBatches('SELECT 1\nGO\nselect 2\n  go  \nSELECT 3 -- GOOD\ngo 2\n');
    expect(b.map((x) => x.text.trim())).toEqual(['SELECT 1', 'select 2', 'SELECT 3 -- GOOD']);
    expect(b[1].line).toBe(3);
  });

  it('reads tables, inline and table constraints, alias types and ALTER TABLE constraints', () => {
    const { raw, issues } = parseDdlScript(`
CREATE TYPE [dbo].[Money4] FROM [decimal](19, 4) NOT NULL
GO
CREATE TABLE [app].[Item] (
  [Id] int IDENTITY(100, 5) NOT NULL CONSTRAINT [PK_Item] PRIMARY KEY,
  [Price] [dbo].[Money4],
  [Name] nvarchar(max) COLLATE Latin1_General_CI_AS NULL DEFAULT N'x',
  [Parent] int NULL REFERENCES [app].[Item]([Id]) ON DELETE NO ACTION ON UPDATE NO ACTION,
  [Total] AS ([Price] * 2) PERSISTED,
  CONSTRAINT [CK_Item] CHECK ([Price] > 0)
)
GO
ALTER TABLE [app].[Item] WITH NOCHECK ADD CONSTRAINT [DF_Item_Name2] DEFAULT ('y') FOR [Name]
GO
ALTER TABLE [app].[Item] NOCHECK CONSTRAINT [CK_Item]
GO`, 't.sql');
    expect(issues).toEqual([]);
    const t = raw.tables[0];
    expect(t.schema).toBe('app');
    expect(t.columns.map((c) => c.name)).toEqual(['Id', 'Price', 'Name', 'Parent', 'Total']);
    expect(t.columns[0].identity).toEqual({ seed: '100', increment: '5' });
    expect(t.columns[0].nullable).toBe(false);
    expect(t.columns[1]).toMatchObject({ type: 'decimal', precision: 19, scale: 4, aliasType: 'dbo.Money4', nullable: false });
    expect(t.columns[2]).toMatchObject({ type: 'nvarchar', length: -1, collation: 'Latin1_General_CI_AS', default: { definition: "('y')" } });
    expect(t.columns[4].computed).toEqual({ definition: '([Price] * 2)', persisted: true });
    expect(t.indexes[0]).toMatchObject({ name: 'PK_Item', primaryKey: true, columns: [{ name: 'Id', descending: false }] });
    expect(t.foreignKeys[0]).toMatchObject({ columns: ['Parent'], refSchema: 'app', refTable: 'Item', refColumns: ['Id'] });
    expect(t.checks[0]).toMatchObject({ name: 'CK_Item', definition: '([Price] > 0)', disabled: true });
  });

  it('reports statements it cannot parse instead of guessing', () => {
    const { raw, issues } = parseDdlScript('CREATE TABLE [t] ([a] int NOT NULL,\nGO\nCREATE TABLE [u] ([b] int)\nGO', 'bad.sql');
    expect(raw.tables.map((t) => t.name)).toContain('u');
    expect(issues.some((i) => i.severity === 'unsupported' && /bad\.sql:1/.test(i.object))).toBe(true);
  });
});

for (const [file, expectTables] of [['northwind-like.sql', 7], ['adventureworks-like.sql', 8], ['modern-features.sql', 3]] as const) {
  describe(`assessment of ${file}`, () => {
    let db: Awaited<ReturnType<typeof createScratchDb>>;
    const result = assessScript(readFileSync(fixture(file), 'utf8'), file);
    beforeAll(async () => { db = await createScratchDb(file.split('-')[0]); });
    afterAll(async () => { await db?.drop(); });

    it('converts every table and skips no statement', () => {
      expect(result.report.counts.tables).toBe(expectTables);
      expect(result.report.notes.filter((n) => /statement skipped|batch skipped/.test(n.message))).toEqual([]);
    });

    it('produces schema.sql that loads into PostgreSQL as it is', async () => {
      await db.client.query(result.schemaSql);
      const r = await db.client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
      expect(r.rows[0].n).toBe(expectTables);
    });
  });
}

describe('assessment details loaded into PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createScratchDb>>;
  beforeAll(async () => {
    db = await createScratchDb('details');
    await db.client.query(assessScript(readFileSync(fixture('northwind-like.sql'), 'utf8'), 'nw').schemaSql);
    await db.client.query('CREATE SCHEMA aw');
    await db.client.query(assessScript(readFileSync(fixture('adventureworks-like.sql'), 'utf8'), 'aw', { dboSchema: 'aw' }).schemaSql);
  });
  afterAll(async () => { await db?.drop(); });

  const q = async (sql: string, params: unknown[] = []) => (await db.client.query(sql, params)).rows;

  it('keeps identity seeds, including negative ones', async () => {
    const rows = await q(`SELECT table_name, column_name, identity_start FROM information_schema.columns WHERE is_identity = 'YES' AND table_name IN ('Orders', 'Order') ORDER BY 1`);
    expect(rows).toEqual([
      { table_name: 'Order', column_name: 'Id', identity_start: '-9223372036854775808' },
      { table_name: 'Orders', column_name: 'OrderID', identity_start: '10248' },
    ]);
  });

  it('creates partial, INCLUDE and DESC indexes, and de-duplicates index names per schema', async () => {
    const rows = await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
    const def = (n: string) => rows.find((r) => r.indexname === n)?.indexdef as string;
    expect(def('IX_Products_Active')).toMatch(/\("CategoryID", "UnitPrice" DESC\) INCLUDE \("ProductName"\) WHERE \("Discontinued" = false\)/);
    expect(def('OrderDate')).toMatch(/"OrderDate" DESC\) INCLUDE \("CustomerID", "Freight"\)/);
    expect(def('CompanyName')).toMatch(/ON public."Customers"/);
    expect(def('Shippers_CompanyName')).toMatch(/ON public."Shippers"/);
    const aw = await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'Sales' ORDER BY 1`);
    expect(aw.find((r) => r.indexname === 'UX_Order_Code_Active')?.indexdef).toMatch(/UNIQUE INDEX .* WHERE \(\("IsDeleted" = false\) AND \("Code" IS NOT NULL\)\)/);
    expect(aw.find((r) => r.indexname === 'UQ_Order_Ref')?.indexdef).toMatch(/UNIQUE/);
  });

  it('creates untrusted and disabled constraints NOT VALID, others validated, with actions', async () => {
    const rows = await q(`SELECT conname, convalidated, confdeltype FROM pg_constraint WHERE conname LIKE 'FK_Order%' ORDER BY 1`);
    expect(rows).toContainEqual({ conname: 'FK_Order_Details_Orders', convalidated: false, confdeltype: 'c' });
    expect(rows).toContainEqual({ conname: 'FK_Order_Details_Products', convalidated: false, confdeltype: 'a' });
    expect(rows).toContainEqual({ conname: 'FK_Orders_Customers', convalidated: true, confdeltype: 'a' });
    const self = await q(`SELECT conrelid::regclass::text AS t, confrelid::regclass::text AS r FROM pg_constraint WHERE conname = 'FK_Order_Parent'`);
    expect(self).toEqual([{ t: '"Sales"."Order"', r: '"Sales"."Order"' }]);
  });

  it('computes generated columns and applies translated defaults', async () => {
    await db.client.query(`INSERT INTO "Orders" ("CustomerID") VALUES (NULL)`);
    // FK_Order_Details_Products is disabled in SQL Server: NOT VALID still checks new rows in PostgreSQL.
    await db.client.query(`INSERT INTO "Products" ("ProductName") VALUES ('Chai')`);
    await db.client.query(`INSERT INTO "Order Details" ("OrderID", "ProductID", "UnitPrice", "Quantity", "Discount") VALUES (10248, 1, 10, 3, 0.5)`);
    const r = await q(`SELECT "LineTotal"::text AS t FROM "Order Details"`);
    expect(Number(r[0].t)).toBe(15);
    const o = await q(`SELECT "OrderID", "Freight"::text AS f, "OrderDate" IS NOT NULL AS dated FROM "Orders"`);
    expect(o).toEqual([{ OrderID: 10248, f: '0.0000', dated: true }]);
    await db.client.query(`INSERT INTO "Sales"."Order" ("Amount", "Placed", "Version") VALUES (1, now(), '\\x00')`);
    const s = await q(`SELECT "User" = current_user AS u, "IsDeleted" AS d, "Ref" IS NOT NULL AS r FROM "Sales"."Order"`);
    expect(s).toEqual([{ u: true, d: false, r: true }]);
    await expect(db.client.query(`INSERT INTO "Sales"."Order" ("Amount", "Placed", "Version", "Code") VALUES (1, now(), '\\x00', 'ab12')`)).rejects.toThrow(/CK_Order_Code/);
  });

  it('shortens names longer than 63 bytes deterministically', async () => {
    const rows = await q(`SELECT column_name FROM information_schema.columns WHERE table_name = 'Order' AND column_name LIKE 'ThisColumn%'`);
    expect(rows[0].column_name).toMatch(/^ThisColumnNameIsDeliberately\w+_[0-9a-f]{8}$/);
    expect(Buffer.byteLength(rows[0].column_name)).toBe(63);
    const ix = await q(`SELECT indexname FROM pg_indexes WHERE indexname LIKE 'IX_Address_AddressLine1%'`);
    expect(Buffer.byteLength(ix[0].indexname)).toBeLessThanOrEqual(63);
  });
});

describe('tmig assess', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'tmig-assess-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('writes schema.sql, report.json and summary.txt', async () => {
    const out = join(dir, 'nw');
    await main(['node', 'tmig', 'assess', fixture('northwind-like.sql'), '--out', out, '--lower-case-names']);
    expect(process.exitCode ?? 0).toBe(0);
    const schema = await readFile(join(out, 'schema.sql'), 'utf8');
    expect(schema).toMatch(/CREATE TABLE "public"."order details"/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.counts.tables).toBe(7);
    expect(report.notMigrated.map((o: { kind: string }) => o.kind).sort()).toEqual(['procedure', 'trigger', 'view']);
    expect(await readFile(join(out, 'summary.txt'), 'utf8')).toMatch(/CK_Birthdate/);
  });

  it('reads UTF-16 scripts with a BOM (SSMS "Unicode" output)', async () => {
    const path = join(dir, 'u16.sql');
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('CREATE TABLE [Ünï] ([a] int NOT NULL PRIMARY KEY)\r\nGO\r\n', 'utf16le')]));
    const r = await runAssessment(path, join(dir, 'u16'));
    expect(r.model.tables[0].name).toBe('Ünï');
  });

  it('fails clearly on a missing script', async () => {
    await expect(runAssessment(join(dir, 'nope.sql'), join(dir, 'x'))).rejects.toThrow(/cannot read .*nope\.sql/);
  });
});
