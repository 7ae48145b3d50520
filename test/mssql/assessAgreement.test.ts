import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import { assessScript } from '../../src/assess/assessment';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import type { SchemaModel, TableModel } from '../../src/engines/schemaModel';
import { createDatabaseFromScript, dropDatabase, isBabelfish, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';

/**
 * The same T-SQL script read two ways: by the offline script parser (`tmig assess`) and, after
 * running it on the endpoint, by the live catalog reader. The models must agree on everything
 * that decides the target: columns and types, nullability, identity, generated columns,
 * defaults, keys and their order, indexes, foreign keys and checks. Names the server generates
 * or rewrites (constraint and index names) are compared only where the script names them and
 * the server keeps them. Each remaining difference is listed here with its reason.
 */
const MSSQL_URL = mssqlUrlOrSkip('script parser vs catalog reader (test/mssql/assessAgreement.test.ts)');
const TENANTS = ['hotel', 'school', 'shop'];

/** What decides the target, per table, without server-chosen names. */
function shape(t: TableModel): unknown {
  return {
    table: `${t.schema}.${t.name}`, target: `${t.targetSchema}.${t.targetName}`, key: t.key, keyOrder: t.keyOrder ?? null,
    columns: t.columns.map((c) => ({ name: c.name, sourceType: c.sourceType, targetType: c.targetType, nullable: c.nullable, generated: c.generated, identity: c.identity ?? null, defaultExpr: c.defaultExpr ?? null })),
    indexes: t.indexes.map((i) => ({ columns: i.columns, include: i.include, unique: i.unique, where: i.where ?? null, primaryKey: i.primaryKey }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    foreignKeys: t.foreignKeys.map((f) => ({ columns: f.columns, ref: `${f.refSchema}.${f.refTable}`, refColumns: f.refColumns, onDelete: f.onDelete, onUpdate: f.onUpdate, trusted: f.trusted })),
    checks: t.checks.map((c) => c.expression).sort(),
  };
}

/**
 * Differences that are the server's doing, not the reader's, and how they are normalised:
 * Babelfish keeps microseconds (datetime2/time/datetimeoffset(7) become (6)); it stores an
 * nvarchar default 'x' as CAST('x' AS nvarchar(n)); computed columns get the inferred type on
 * both sides. On SQL Server nothing is normalised.
 */
function normalise(m: SchemaModel, babelfish: boolean): unknown[] {
  return m.tables.map((t) => {
    const s = shape(t) as { columns: { sourceType: string; defaultExpr: string | null }[] };
    if (babelfish) {
      for (const c of s.columns) {
        c.sourceType = c.sourceType.replace(/^(datetime2|time|datetimeoffset)\(7\)$/, '$1(6)');
        if (c.defaultExpr) c.defaultExpr = c.defaultExpr.replace(/^CAST\(('(?:[^']|'')*') AS character varying\(\d+\)\)$/, '$1');
      }
    }
    return s;
  }).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('alias types in the script parser', () => {
  it('resolves CREATE TYPE ... FROM and sp_addtype to their base types; reports a type it cannot resolve, never bytea', () => {
    const r = assessScript(`
      CREATE TYPE dbo.Phone FROM nvarchar(25) NOT NULL;
      GO
      EXEC sp_addtype N'Code', N'varchar(12)', N'NULL';
      GO
      CREATE TABLE dbo.T (Id int NOT NULL PRIMARY KEY, P dbo.Phone, C Code CONSTRAINT CK_T_C CHECK (C <> ''), X dbo.Unknown NULL);`, 'aliases.sql');
    const t = r.model.tables[0];
    const col = (n: string) => t.columns.find((c) => c.name === n)!;
    expect(col('P')).toMatchObject({ sourceType: 'nvarchar(25)', targetType: 'character varying(25)', nullable: false });
    expect(col('C')).toMatchObject({ sourceType: 'varchar(12)', targetType: 'character varying(12)', nullable: true });
    expect(t.checks[0].expression).toBe(`"C" <> ''`);
    const unresolved = r.model.notes.find((n) => n.object === 'dbo.T.X')!;
    expect(unresolved).toMatchObject({ severity: 'unsupported' });
    expect(unresolved.message).toMatch(/dbo\.Unknown is not a SQL Server system type.*columnOverrides/);
    // With an override the column is mapped as told.
    const o = assessScript(`CREATE TABLE dbo.T (Id int NOT NULL PRIMARY KEY, X dbo.Unknown NULL);`, 'o.sql', { overrides: [{ column: 'dbo.T.X', targetType: 'text' }] });
    expect(o.model.tables[0].columns[1].targetType).toBe('text');
    expect(o.model.notes.some((n) => n.object === 'dbo.T.X' && n.severity === 'unsupported')).toBe(false);
  });
});

describe.skipIf(!MSSQL_URL)('script parser and catalog reader agree on the same script', () => {
  let admin: sql.ConnectionPool;
  let babelfish = false;

  beforeAll(async () => {
    admin = await mssqlAdminPool();
    babelfish = await isBabelfish(admin);
    for (const t of TENANTS) await createDatabaseFromScript(admin, `tmig_ms_agree_${t}`, readFileSync(join(__dirname, 'tenants', `${t}.sql`), 'utf8'));
  });
  afterAll(async () => {
    for (const t of TENANTS) if (admin) await dropDatabase(admin, `tmig_ms_agree_${t}`).catch(() => undefined);
    await admin?.close();
  });

  for (const tenant of TENANTS) {
    it(`${tenant}: same tables, columns, types, keys, indexes, FKs and checks`, async () => {
      const script = readFileSync(join(__dirname, 'tenants', `${tenant}.sql`), 'utf8');
      // The script parser reads SSMS-style scripts: the data-loading batches are not DDL.
      const ddl = script.split(/^\s*GO\s*$/im).filter((b) => /\bCREATE\b/i.test(b)).join('\nGO\n');
      const parsed = assessScript(ddl, `${tenant}.sql`, { flavor: babelfish ? 'babelfish' : 'sqlserver' }).model;
      const engine = new MssqlSourceEngine({ serverName: 'ms', server: mssqlServerConfig('TMIG_AGREE_MSSQL_PASSWORD'), database: `tmig_ms_agree_${tenant}` });
      try {
        const live = await engine.describe();
        expect(live.tables.length).toBeGreaterThanOrEqual(3);
        expect(parsed.tables.map((t) => t.name).sort()).toEqual(live.tables.map((t) => t.name).sort());
        expect(normalise(live, babelfish)).toEqual(normalise(parsed, babelfish));
        // Nothing either side could not map.
        expect(live.notes.filter((n) => n.severity === 'unsupported')).toEqual([]);
        expect(parsed.notes.filter((n) => n.severity === 'unsupported')).toEqual([]);
      } finally {
        await engine.close();
      }
    });
  }
});
