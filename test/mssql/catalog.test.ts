import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawFromCatalogRows } from '../../src/engines/mssql/catalog';
import { buildModel } from '../../src/engines/mssql/buildModel';
import { preDataSteps, postDataSteps } from '../../src/engines/mssql/pgDdl';
import type { SchemaModel } from '../../src/engines/schemaModel';
import { hotelCatalog } from '../fixtures/mssql/hotelCatalog';
import { createScratchDb } from './pgScratch';

const raw = rawFromCatalogRows(hotelCatalog);
const table = (m: SchemaModel, name: string) => m.tables.find((t) => t.name === name)!;

describe('catalog rows -> raw schema', () => {
  it('turns byte lengths into type lengths and resolves alias and CLR types', () => {
    const guest = raw.tables.find((t) => t.name === 'Guest')!;
    expect(guest.columns.find((c) => c.name === 'FirstName')).toMatchObject({ type: 'nvarchar', length: 50, aliasType: 'dbo.Name', nullable: false });
    expect(guest.columns.find((c) => c.name === 'Email')).toMatchObject({ type: 'varchar', length: 254 });
    const zoo = raw.tables.find((t) => t.name === 'TypeZoo')!;
    expect(zoo.columns.find((c) => c.name === 'custom')).toMatchObject({ type: 'mypoint' });
    expect(zoo.columns.find((c) => c.name === 'vb')).toMatchObject({ type: 'varbinary', length: -1 });
  });

  it('groups index and FK columns in order, with included columns apart', () => {
    const guest = raw.tables.find((t) => t.name === 'Guest')!;
    expect(guest.indexes.find((i) => i.name === 'IX_Name')).toMatchObject({ columns: [{ name: 'LastName' }, { name: 'FirstName' }], include: ['Email'] });
    const line = raw.tables.find((t) => t.name === 'InvoiceLine')!;
    expect(line.foreignKeys[0]).toMatchObject({ columns: ['Year', 'InvoiceNo'], refColumns: ['Year', 'InvoiceNo'], disabled: true });
    expect(raw.objects.map((o) => o.kind)).toEqual(['view', 'procedure', 'function', 'trigger', 'synonym', 'sequence']);
    expect(raw.tables.find((t) => t.name === 'Room')!.avgRowBytes).toBe(Math.round((2 * 8192) / 80));
  });
});

describe('raw schema -> model', () => {
  const model = buildModel(raw, {});

  it('maps names, types, identity, defaults and computed columns', () => {
    const g = table(model, 'Guest');
    expect(g.targetSchema).toBe('public');
    expect(g.columns.find((c) => c.name === 'GuestId')).toMatchObject({ targetType: 'integer', identity: { seed: '1', increment: '1', always: false } });
    expect(g.columns.find((c) => c.name === 'FullName')).toMatchObject({ generated: true, defaultExpr: `("FirstName" || ' ') || "LastName"` });
    expect(g.columns.find((c) => c.name === 'IsVip')?.defaultExpr).toBe('false');
    expect(g.columns.find((c) => c.name === 'CreatedAt')).toMatchObject({ targetType: 'timestamp(6)', defaultExpr: "timezone('UTC', now())" });
    const b = table(model, 'Booking');
    expect(b.columns.find((c) => c.name === 'Nights')).toMatchObject({ generated: true, defaultExpr: `CAST("CheckOut" AS date) - CAST("CheckIn" AS date)` });
    expect(b.columns.find((c) => c.name === 'BookedAt')?.targetType).toBe('timestamp(6) with time zone');
  });

  it('picks keys whose order agrees between the engines', () => {
    expect(table(model, 'Guest').key).toEqual(['GuestId']);
    expect(table(model, 'BookingNight').key).toEqual(['BookingId', 'NightDate']);
    expect(table(model, 'AuditLog').key).toEqual(['LoggedAt', 'Seq']);
    // uniqueidentifier PK (and a sysname unique key): paged in SQL Server's GUID order, not split
    expect(table(model, 'User').key).toEqual(['Id']);
    expect(table(model, 'User').keyOrder).toEqual(['sqlserver-guid']);
    expect(table(model, 'Guest').keyOrder).toBeUndefined();
    expect(model.notes.some((n) => n.object === 'dbo.User' && /uniqueidentifier order/.test(n.message))).toBe(true);
  });

  it('reports lossy, unsupported and not migrated items', () => {
    const msg = (obj: string) => model.notes.filter((n) => n.object === obj).map((n) => `${n.severity}: ${n.message}`).join('\n');
    expect(msg('dbo.TypeZoo.t7')).toMatch(/lossy: .*7th digit/);
    expect(msg('dbo.TypeZoo.custom')).toMatch(/lossy: CLR user-defined type/);
    expect(msg('dbo.User.PXML_User_Roles')).toMatch(/unsupported: .*xml index/);
    expect(msg('dbo.Booking.IX_Booking_Disabled')).toMatch(/disabled index/);
    expect(msg('Billing.Invoice.CK_Invoice_Func')).toMatch(/unsupported: check .*function dbo\.fnvalid\(\) has no known/i);
    expect(msg('Billing.InvoiceLine.FK_InvoiceLine_Invoice')).toMatch(/disabled in SQL Server: created NOT VALID/);
    expect(msg('Hotel123')).toMatch(/case-insensitive collation/);
    expect(model.notMigrated).toContainEqual({ kind: 'trigger', name: 'dbo.Booking.trg_Booking_Audit', reason: expect.stringMatching(/manual port/) });
  });

  it('renames SQL Server per-table index names that collide in a PostgreSQL schema', () => {
    // tables are processed in name order, so the first one keeps the name
    expect(table(model, 'Booking').indexes.find((i) => i.name === 'IX_Name')?.targetName).toBe('IX_Name');
    expect(table(model, 'Guest').indexes.find((i) => i.name === 'IX_Name')?.targetName).toBe('Guest_IX_Name');
  });

  it('applies per-column overrides and reports unknown ones', () => {
    const m = buildModel(raw, { overrides: [{ column: 'dbo.User.Roles', targetType: 'text' }, { column: 'dbo.Nope.x', targetType: 'text' },
      { column: 'dbo.Booking.BookedAt', targetType: 'timestamp(3)' }] });
    expect(table(m, 'User').columns.find((c) => c.name === 'Roles')?.targetType).toBe('text');
    expect(m.notes.find((n) => n.object === 'dbo.User.Roles')?.severity).toBe('info');
    expect(m.notes.find((n) => n.object === 'dbo.Booking.BookedAt' && /overridden/.test(n.message))).toMatchObject({ severity: 'lossy', message: expect.stringMatching(/validation compares/) });
    expect(m.notes.some((n) => n.object === 'dbo.nope.x' && n.severity === 'unsupported')).toBe(true);
  });
});

describe('DDL from the hotel catalog loads into PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createScratchDb>>;
  beforeAll(async () => { db = await createScratchDb('catalog'); });
  afterAll(async () => { await db?.drop(); });

  const load = async (model: SchemaModel) => {
    for (const group of [preDataSteps(model), postDataSteps(model)]) {
      for (const g of [...new Set(group.map((s) => s.group))].sort()) {
        for (const s of group.filter((x) => x.group === g)) await db.client.query(s.sql);
      }
    }
  };

  it('as named in SQL Server', async () => {
    const model = buildModel(raw, {});
    await load(model);
    const r = await db.client.query(`SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'Billing') ORDER BY 1`);
    expect(r.rows.map((x) => x.t)).toEqual(['Billing.Invoice', 'Billing.InvoiceLine', 'public.AuditLog', 'public.Booking', 'public.BookingNight', 'public.Guest', 'public.Room', 'public.TypeZoo', 'public.User']);
    const pk = await db.client.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'PK_Invoice'`);
    expect(pk.rows[0].d).toBe('PRIMARY KEY ("Year", "InvoiceNo")');
    const uq = await db.client.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'UX_Guest_Email'`);
    expect(uq.rows[0].indexdef).toMatch(/UNIQUE INDEX "UX_Guest_Email" ON public."Guest" USING btree \("Email"\) WHERE \("Email" IS NOT NULL\)/);
    const ck = await db.client.query(`SELECT conname, convalidated FROM pg_constraint WHERE conname IN ('CK_Booking_Status', 'CK_Booking_Dates') ORDER BY 1`);
    expect(ck.rows).toEqual([{ conname: 'CK_Booking_Dates', convalidated: true }, { conname: 'CK_Booking_Status', convalidated: false }]);
    // identity, generated and defaults work together
    await db.client.query(`INSERT INTO "Guest" ("FirstName", "LastName") VALUES ('Ada', 'Lovelace')`);
    await db.client.query(`INSERT INTO "Room" ("RoomNo", "Floor", "Rate") VALUES (101, 1, 99.5)`);
    await db.client.query(`INSERT INTO "Booking" ("GuestId", "RoomNo", "CheckIn", "CheckOut", "Amount") VALUES (1, 101, '2026-01-01', '2026-01-04', 300)`);
    const b = await db.client.query(`SELECT "BookingId"::text AS id, "Nights", "Status", "Cancelled" FROM "Booking"`);
    expect(b.rows).toEqual([{ id: '1000', Nights: 3, Status: 'open', Cancelled: false }]);
    const g = await db.client.query(`SELECT "FullName", "IsVip", "RowGuid" IS NOT NULL AS has FROM "Guest"`);
    expect(g.rows).toEqual([{ FullName: 'Ada Lovelace', IsVip: false, has: true }]);
  });

  it('lower-cased, with dbo mapped to a schema', async () => {
    const model = buildModel(raw, { lowerCaseNames: true, dboSchema: 'hotel' });
    await load(model);
    const r = await db.client.query(`SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('hotel', 'billing') ORDER BY 1`);
    expect(r.rows.map((x) => x.t)).toContain('hotel.bookingnight');
    expect(r.rows.map((x) => x.t)).toContain('billing.invoiceline');
    const fk = await db.client.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'fk_invoiceline_invoice'`);
    expect(fk.rows[0].d).toBe('FOREIGN KEY (year, invoiceno) REFERENCES billing.invoice(year, invoiceno) ON DELETE CASCADE NOT VALID');
  });
});
