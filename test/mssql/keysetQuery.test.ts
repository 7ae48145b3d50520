import { describe, expect, it } from 'vitest';
import { chunkQuery, countQuery, rangeBoundsQuery, rangesFromBounds, keyParamText, selectList } from '../../src/engines/mssql/keysetQuery';
import { projectionSql, readMapping } from '../../src/engines/mssql/projection';
import { mapMsType, parseMsType } from '../../src/engines/mssql/typeMapping';
import type { TableModel, ColumnModel } from '../../src/engines/schemaModel';

function col(name: string, sourceType: string, extra: Partial<ColumnModel> = {}): ColumnModel {
  const m = mapMsType(parseMsType(sourceType));
  return { name, targetName: name, sourceType: m.sourceType, targetType: m.targetType, nullable: false, generated: false, ...extra };
}

function tbl(columns: ColumnModel[], key: string[] | null): TableModel {
  return { schema: 'dbo', name: 'Order Lines', targetSchema: 'public', targetName: 'Order Lines', columns, key, estimatedRows: 0, indexes: [], foreignKeys: [], checks: [] };
}

const lines = tbl([
  col('OrderId', 'int'), col('LineNo', 'smallint'), col('Price', 'money'), col('Total', 'decimal(19,4)', { generated: true, defaultExpr: 'x' }), col('Note', 'nvarchar(max)'),
], ['OrderId', 'LineNo']);

describe('keyset chunk queries', () => {
  it('selects copied columns in target order with lossless projections', () => {
    const { sql, mappings } = selectList(lines);
    expect(sql).toBe('[OrderId] AS [c0], [LineNo] AS [c1], CONVERT(varchar(30), [Price], 2) AS [c2], [Note] AS [c3]');
    expect(mappings.map((m) => m.kind)).toEqual(['int', 'int', 'money', 'text']);
  });

  it('first chunk: TOP (@limit) ... ORDER BY key', () => {
    const q = chunkQuery({ table: lines, range: { lo: null, hi: null }, after: null, limit: 5000 });
    expect(q.sql).toBe('SELECT TOP (@limit) [OrderId] AS [c0], [LineNo] AS [c1], CONVERT(varchar(30), [Price], 2) AS [c2], [Note] AS [c3] FROM [dbo].[Order Lines] ORDER BY [OrderId], [LineNo]');
    expect(q.params).toEqual([]);
    expect(q.limit).toBe(5000);
  });

  it('resumes strictly after a composite key: (k1 > @a) OR (k1 = @a AND k2 > @b)', () => {
    const q = chunkQuery({ table: lines, range: { lo: null, hi: null }, after: ['10', '3'], limit: 100 });
    expect(q.sql).toContain('WHERE (([OrderId] > CONVERT(int, @k0)) OR ([OrderId] = CONVERT(int, @k1) AND [LineNo] > CONVERT(smallint, @k2)))');
    expect(q.params).toEqual([{ name: 'k0', value: '10' }, { name: 'k1', value: '10' }, { name: 'k2', value: '3' }]);
  });

  it('bounds a re-read chunk with upTo (inclusive) and a range on the first key column', () => {
    const q = chunkQuery({ table: lines, range: { lo: '5', hi: '20' }, after: ['10', '3'], upTo: ['12', '1'], limit: null });
    expect(q.sql).not.toContain('TOP');
    expect(q.sql).toContain('WHERE [OrderId] > CONVERT(int, @k0) AND [OrderId] <= CONVERT(int, @k1) AND ');
    expect(q.sql).toContain('(([OrderId] < CONVERT(int, @k5)) OR ([OrderId] = CONVERT(int, @k6) AND [LineNo] <= CONVERT(smallint, @k7)))');
    expect(q.params.map((p) => p.value)).toEqual(['5', '20', '10', '10', '3', '12', '12', '1']);
  });

  it('reads tables without a key whole, unordered', () => {
    const q = chunkQuery({ table: tbl([col('a', 'uniqueidentifier')], null), range: { lo: null, hi: null }, after: null, limit: 10 });
    expect(q.sql).toBe('SELECT CONVERT(char(36), [a]) AS [c0] FROM [dbo].[Order Lines]');
  });

  it('compares 100 ns keys as microsecond buckets, so truncated keys neither skip nor repeat rows', () => {
    const t = tbl([col('At', 'datetime2(7)'), col('Seq', 'int')], ['At', 'Seq']);
    const q = chunkQuery({ table: t, range: { lo: null, hi: null }, after: ['2020-01-01 00:00:00.123456', '7'], limit: 10 });
    expect(q.sql).toContain('(([At] >= CONVERT(datetime2(7), @k0, 121)) OR (([At] >= CONVERT(datetime2(7), @k1, 121) AND [At] < CONVERT(datetime2(7), @k2, 121)) AND [Seq] > CONVERT(int, @k3)))');
    expect(q.params.map((p) => p.value)).toEqual(['2020-01-01 00:00:00.123457', '2020-01-01 00:00:00.123456', '2020-01-01 00:00:00.123457', '7']);
  });

  it('handles bucket ends at the end of the type range', () => {
    const t = tbl([col('At', 'datetime2(7)')], ['At']);
    const q = chunkQuery({ table: t, range: { lo: null, hi: null }, after: ['9999-12-31 23:59:59.999999'], limit: 10 });
    expect(q.sql).toContain('WHERE ((1 = 0))');
    const tm = tbl([col('T', 'time(7)')], ['T']);
    const q2 = chunkQuery({ table: tm, range: { lo: null, hi: null }, after: ['23:59:59.999999'], upTo: ['23:59:59.999999'], limit: null });
    expect(q2.sql).toContain('((1 = 0)) AND ((1 = 1))');
    const q3 = chunkQuery({ table: tm, range: { lo: null, hi: null }, after: ['10:00:00'], limit: null });
    expect(q3.params).toEqual([{ name: 'k0', value: '10:00:00.000001' }]);
  });

  it('converts PostgreSQL key text back for SQL Server', () => {
    const m = (t: string) => ({ m: mapMsType(parseMsType(t)) });
    expect(keyParamText(m('bit'), 't')).toBe('1');
    expect(keyParamText(m('bit'), 'f')).toBe('0');
    expect(keyParamText(m('datetimeoffset(3)'), '2020-01-01 10:00:00.5+00')).toBe('2020-01-01T10:00:00.5Z');
    expect(keyParamText(m('decimal(10,2)'), '-0.50')).toBe('-0.50');
    const t = tbl([col('d', 'date'), col('o', 'datetimeoffset(7)'), col('m', 'datetime')], ['d', 'o', 'm']);
    const q = chunkQuery({ table: t, range: { lo: null, hi: null }, after: ['2020-01-01', '2020-01-01 00:00:00+00', '2020-01-01 00:00:00.003'], limit: 1 });
    expect(q.sql).toContain('[d] > CONVERT(date, @k0, 23)');
    expect(q.sql).toContain('CONVERT(datetimeoffset(7), @k2, 127)');
    expect(q.sql).toContain('[m] > CONVERT(datetime, @k');
    expect(q.params.find((p) => p.value.endsWith('Z'))?.value).toBe('2020-01-01T00:00:00.000001Z');
  });

  it('rejects keys of the wrong width', () => {
    expect(() => chunkQuery({ table: lines, range: { lo: null, hi: null }, after: ['1'], limit: 1 })).toThrow(/2 columns, got 1/);
  });

  it('counts ranges and plans tiles', () => {
    expect(countQuery(lines, { lo: '1', hi: null }).sql).toBe('SELECT COUNT_BIG(*) AS n FROM [dbo].[Order Lines] WHERE [OrderId] > CONVERT(int, @k0)');
    expect(rangeBoundsQuery(lines, 4).sql).toBe('SELECT MAX(x.k) AS b FROM (SELECT [OrderId] AS k, NTILE(4) OVER (ORDER BY [OrderId]) AS tile FROM [dbo].[Order Lines]) AS x GROUP BY x.tile ORDER BY x.tile');
    expect(rangesFromBounds(['10', '20', '20', '35'])).toEqual([{ lo: null, hi: '10' }, { lo: '10', hi: '20' }, { lo: '20', hi: null }]);
    expect(rangesFromBounds(['5'])).toEqual([{ lo: null, hi: null }]);
  });
});

describe('projections', () => {
  const cases: [string, string][] = [
    ['bit', '[c]'], ['int', '[c]'], ['bigint', 'CONVERT(varchar(20), [c])'], ['decimal(38,10)', 'CONVERT(varchar(50), [c])'],
    ['money', 'CONVERT(varchar(30), [c], 2)'], ['float', '[c]'], ['real', '[c]'], ['date', 'CONVERT(char(10), [c], 23)'],
    ['time(7)', 'CONVERT(varchar(16), [c], 121)'], ['datetime', 'CONVERT(varchar(27), [c], 121)'], ['datetime2(7)', 'CONVERT(varchar(27), [c], 121)'],
    ['smalldatetime', 'CONVERT(varchar(19), [c], 120)'], ['datetimeoffset(7)', 'CONVERT(varchar(34), [c], 121)'], ['uniqueidentifier', 'CONVERT(char(36), [c])'],
    ['xml', 'CONVERT(nvarchar(max), [c])'], ['hierarchyid', '[c].ToString()'], ['rowversion', '[c]'], ['varbinary(max)', '[c]'], ['nvarchar(max)', '[c]'],
    ['geography', "CASE WHEN [c] IS NULL THEN NULL ELSE CONCAT(N'SRID=', [c].STSrid, N';', [c].AsTextZM()) END"],
    ['myudt', 'CONVERT(varbinary(max), [c])'],
  ];
  it.each(cases)('%s -> %s', (type, sql) => {
    const m = mapMsType(parseMsType(type));
    expect(projectionSql('[c]', readMapping({ sourceType: m.sourceType, targetType: m.targetType }))).toBe(sql);
  });
  it('sql_variant keeps date/time, binary and money values exact', () => {
    const sql = projectionSql('[v]', mapMsType(parseMsType('sql_variant')));
    expect(sql).toMatch(/SQL_VARIANT_PROPERTY\(\[v\], 'BaseType'\) IN \('datetime'.*CONVERT\(nvarchar\(4000\), \[v\], 121\)/);
    expect(sql).toMatch(/CONVERT\(varbinary\(8000\), \[v\]\), 1\)/);
  });
  it('reads overridden columns with the source projection and the target encoding', () => {
    const m = readMapping({ sourceType: 'datetime2(7)', targetType: 'timestamp(3)' });
    expect(m.kind).toBe('timestamp');
    expect(m.fraction).toBe(3);
    expect(readMapping({ sourceType: 'varchar(10)', targetType: 'character(12)' }).charLength).toBe(12);
  });
});
