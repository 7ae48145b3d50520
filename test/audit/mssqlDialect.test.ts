import { describe, expect, it } from 'vitest';
import { auditDatabase } from '../../src/audit/runAudit';
import { mssqlAuditDialect } from '../../src/engines/mssql/auditDialect';
import type { AuditQuery } from '../../src/engines/auditDialect';
import type { SchemaModel } from '../../src/engines/schemaModel';

// No SQL Server on the build machines: the T-SQL the audit generates is checked here against a
// recording stand-in for the server (the one place a mock is allowed).
const col = (name: string, sourceType: string, extra: object = {}) =>
  ({ name, targetName: name.toLowerCase(), sourceType, targetType: 'integer', nullable: true, generated: false, ...extra });

const model: SchemaModel = {
  sourceKind: 'mssql', notMigrated: [], notes: [{ severity: 'lossy', object: 'dbo.Orders.Total', message: 'money kept at 4 decimals' }],
  tables: [
    { schema: 'dbo', name: 'Customers', targetSchema: 'public', targetName: 'customers', key: ['Id'], estimatedRows: 10, indexes: [], foreignKeys: [], checks: [],
      columns: [col('Id', 'tinyint', { identity: { seed: '1', increment: '1', always: false } }), col('Email', 'nvarchar(200)'), col('Born', 'datetime2(7)')] },
    { schema: 'dbo', name: 'Orders', targetSchema: 'public', targetName: 'orders', key: ['Id'], estimatedRows: 10, indexes: [], checks: [],
      columns: [col('Id', 'int'), col('CustomerId', 'int'), col('Total', 'money')],
      foreignKeys: [{ name: 'FK_Orders_Customers', targetName: 'fk_orders_customers', columns: ['CustomerId'], refSchema: 'dbo', refTable: 'Customers',
        refColumns: ['Id'], onDelete: 'NO ACTION', onUpdate: 'NO ACTION', trusted: false }] },
    { schema: 'dbo', name: 'Log]Entries', targetSchema: 'public', targetName: 'log_entries', key: null, estimatedRows: 3, indexes: [], foreignKeys: [], checks: [],
      columns: [col('Msg', 'nvarchar(max)')] },
  ],
};

function recorder(answer: (sql: string) => Record<string, unknown>[]): { query: AuditQuery; calls: { sql: string; params: unknown[] }[] } {
  const calls: { sql: string; params: unknown[] }[] = [];
  return { calls, query: async (sql, params = []) => { calls.push({ sql, params }); return answer(sql); } };
}

describe('SQL Server audit dialect', () => {
  it('generates T-SQL for every automatic check and reads counts and sample keys from the answers', async () => {
    const { query, calls } = recorder((sql) => {
      if (sql.includes('IDENT_CURRENT')) return [{ current: '250' }];
      if (sql.includes('NOT EXISTS')) return [{ total: '2', k0: '7' }, { total: '2', k0: '9' }];
      if (sql.includes('[Log]]Entries]') && sql.includes('1 = 1')) return [{ total: '3' }];
      if (sql.includes('[Total] IS NOT NULL')) return [{ total: '5', k0: '1' }];
      return [];
    });
    const r = await auditDatabase(mssqlAuditDialect, query, model, [], { maxRowBytes: 8060 });
    expect(r.findings.map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''} ${f.count} ${f.policy} [${f.sampleKeys.join('|')}]`).sort()).toEqual([
      'identityOverflow dbo.Customers.Id 1 warn []',
      'lossyType dbo.Orders.Total 5 warn [Id=1]',
      'noKey dbo.Log]Entries 3 warn []',
      'orphans dbo.Orders.CustomerId 2 warn [Id=7|Id=9]',
    ]);
    const ident = calls.find((c) => c.sql.includes('IDENT_CURRENT'))!;
    expect(ident.params).toEqual(['[dbo].[Customers]']);
    expect(ident.sql).toContain('MAX([Id])) FROM [dbo].[Customers]');
    const orphan = calls.find((c) => c.sql.includes('NOT EXISTS'))!.sql;
    expect(orphan).toBe('SELECT TOP (5) COUNT_BIG(*) OVER () AS total, CONVERT(nvarchar(4000), t.[Id]) AS k0 FROM [dbo].[Orders] t ' +
      'WHERE t.[CustomerId] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [dbo].[Customers] p WHERE p.[Id] = t.[CustomerId]) ORDER BY t.[Id]');
    const wide = calls.find((c) => c.sql.includes('DATALENGTH') && c.sql.includes('[dbo].[Orders]'))!;
    expect(wide.sql).toContain('(ISNULL(CAST(DATALENGTH(t.[Id]) AS bigint), 0) + ISNULL(CAST(DATALENGTH(t.[CustomerId]) AS bigint), 0) + ' +
      'ISNULL(CAST(DATALENGTH(t.[Total]) AS bigint), 0)) > @p1');
    expect(wide.params).toEqual([8060]);
    // Keyless table: counted, no row locator in T-SQL.
    expect(calls.find((c) => c.sql.includes('[Log]]Entries]') && c.sql.includes('1 = 1'))!.sql).not.toContain('ORDER BY');
  });

  it('binds declared checks as @p parameters and compares "now" by the column type', async () => {
    const { query, calls } = recorder(() => []);
    await auditDatabase(mssqlAuditDialect, query, model, [
      { table: 'dbo.Customers', column: 'Born', check: 'range', min: '1900-01-01', max: 'now' },
      { table: 'Customers', column: 'Email', check: 'unique' },
    ]);
    const range = calls.find((c) => c.sql.includes('[Born] <'))!;
    expect(range.sql).toContain('t.[Born] IS NOT NULL AND (t.[Born] < @p1 OR t.[Born] > SYSDATETIME())');
    expect(range.params).toEqual(['1900-01-01']);
    expect(calls.some((c) => c.sql.includes('GROUP BY d.[Email] HAVING count(*) > 1'))).toBe(true);
  });

  it('matches pattern checks in the worker (T-SQL has no regex operator): reads key and value, counts non-matching values', async () => {
    const { query, calls } = recorder((sql) => (sql.includes('AS v FROM [dbo].[Customers]')
      ? [{ k0: '1', v: 'a@example.com' }, { k0: '2', v: 'nobody' }, { k0: '3', v: 'c@example.com' }, { k0: '4', v: 'x at y' }]
      : []));
    const r = await auditDatabase(mssqlAuditDialect, query, model, [{ table: 'Customers', column: 'Email', check: 'pattern', pattern: '^[^@]+@[^@]+$' }]);
    const f = r.findings.find((x) => x.check === 'pattern')!;
    expect(f).toMatchObject({ count: 2, sampleKeys: ['Id=2', 'Id=4'], column: 'Email' });
    expect(calls.find((c) => c.sql.includes('AS v'))!.sql)
      .toBe('SELECT CONVERT(nvarchar(4000), t.[Id]) AS k0, CONVERT(nvarchar(4000), t.[Email]) AS v FROM [dbo].[Customers] t WHERE t.[Email] IS NOT NULL ORDER BY t.[Id]');
    await expect(auditDatabase(mssqlAuditDialect, query, model, [{ table: 'Customers', column: 'Email', check: 'pattern', pattern: '([a-z' }]))
      .rejects.toThrow(/auditChecks\[0\].*not a valid regular expression/);
  });

  it('knows the integer limits of SQL Server identity types', () => {
    expect(mssqlAuditDialect.integerTypeMax('tinyint')).toBe(255n);
    expect(mssqlAuditDialect.integerTypeMax('int')).toBe(2147483647n);
    expect(mssqlAuditDialect.integerTypeMax('decimal(10,0)')).toBe(9999999999n);
    expect(mssqlAuditDialect.integerTypeMax('decimal(10,2)')).toBeNull();
    expect(mssqlAuditDialect.now('datetimeoffset(7)')).toBe('SYSDATETIMEOFFSET()');
    expect(mssqlAuditDialect.isBadInput({ number: 241 })).toBe(true);
    expect(mssqlAuditDialect.isBadInput({ number: 1205 })).toBe(false);
  });
});
