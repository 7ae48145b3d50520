import { describe, expect, it } from 'vitest';
import { formatMsType, mapMsType, mappingWithOverride, parseMsType } from '../../src/engines/mssql/typeMapping';

// Every SQL Server type -> [spelled source type, PostgreSQL type, lossy?]
const cases: [string, string, string, boolean][] = [
  ['bit', 'bit', 'boolean', false],
  ['tinyint', 'tinyint', 'smallint', false],
  ['smallint', 'smallint', 'smallint', false],
  ['int', 'int', 'integer', false],
  ['bigint', 'bigint', 'bigint', false],
  ['decimal(38,10)', 'decimal(38,10)', 'numeric(38,10)', false],
  ['numeric(5, 0)', 'numeric(5,0)', 'numeric(5,0)', false],
  ['decimal', 'decimal(18,0)', 'numeric(18,0)', false],
  ['money', 'money', 'numeric(19,4)', false],
  ['smallmoney', 'smallmoney', 'numeric(10,4)', false],
  ['float', 'float', 'double precision', false],
  ['float(53)', 'float', 'double precision', false],
  ['float(24)', 'real', 'real', false],
  ['float(10)', 'real', 'real', false],
  ['real', 'real', 'real', false],
  ['date', 'date', 'date', false],
  ['time', 'time(7)', 'time(6)', true],
  ['time(3)', 'time(3)', 'time(3)', false],
  ['time(0)', 'time(0)', 'time(0)', false],
  ['datetime', 'datetime', 'timestamp(3)', false],
  ['smalldatetime', 'smalldatetime', 'timestamp(0)', false],
  ['datetime2', 'datetime2(7)', 'timestamp(6)', true],
  ['datetime2(7)', 'datetime2(7)', 'timestamp(6)', true],
  ['datetime2(6)', 'datetime2(6)', 'timestamp(6)', false],
  ['datetime2(0)', 'datetime2(0)', 'timestamp(0)', false],
  ['datetimeoffset', 'datetimeoffset(7)', 'timestamp(6) with time zone', true],
  ['datetimeoffset(3)', 'datetimeoffset(3)', 'timestamp(3) with time zone', true],
  ['char(10)', 'char(10)', 'character(10)', false],
  ['nchar(5)', 'nchar(5)', 'character(5)', false],
  ['varchar(50)', 'varchar(50)', 'character varying(50)', false],
  ['varchar(max)', 'varchar(max)', 'text', false],
  ['nvarchar(4000)', 'nvarchar(4000)', 'character varying(4000)', false],
  ['nvarchar(MAX)', 'nvarchar(max)', 'text', false],
  ['text', 'text', 'text', false],
  ['ntext', 'ntext', 'text', false],
  ['binary(16)', 'binary(16)', 'bytea', false],
  ['varbinary(max)', 'varbinary(max)', 'bytea', false],
  ['image', 'image', 'bytea', false],
  ['uniqueidentifier', 'uniqueidentifier', 'uuid', false],
  ['xml', 'xml', 'xml', false],
  ['rowversion', 'rowversion', 'bytea', false],
  ['timestamp', 'rowversion', 'bytea', false],
  ['sql_variant', 'sql_variant', 'text', true],
  ['hierarchyid', 'hierarchyid', 'text', true],
  ['geography', 'geography', 'text', true],
  ['geometry', 'geometry', 'text', true],
  ['sysname', 'sysname', 'character varying(128)', false],
  ['[sys].[datetime2](3)', 'datetime2(3)', 'timestamp(3)', false],
  ['national character varying(20)', 'nvarchar(20)', 'character varying(20)', false],
  ['MyClrType', 'myclrtype', 'bytea', true],
];

describe('SQL Server type mapping', () => {
  it.each(cases)('%s -> %s / %s', (spelled, source, target, lossy) => {
    const m = mapMsType(parseMsType(spelled));
    expect(m.sourceType).toBe(source);
    expect(m.targetType).toBe(target);
    expect(Boolean(m.lossy)).toBe(lossy);
  });

  it('states a rule for every type without a direct PostgreSQL counterpart', () => {
    for (const t of ['uniqueidentifier', 'xml', 'rowversion', 'sql_variant', 'hierarchyid', 'geography', 'geometry', 'datetime']) {
      const m = mapMsType(parseMsType(t));
      expect(m.rule ?? m.lossy, t).toBeTruthy();
    }
  });

  it('says which key types sort the same in both engines', () => {
    expect(mapMsType(parseMsType('int')).orderSafe).toBe(true);
    expect(mapMsType(parseMsType('datetime2(7)')).orderSafe).toBe(true);
    expect(mapMsType(parseMsType('uniqueidentifier')).orderSafe).toBe(false);
    expect(mapMsType(parseMsType('nvarchar(10)')).orderSafe).toBe(false);
  });

  it('formats alias base types and overrides', () => {
    expect(formatMsType({ name: 'nvarchar', length: 20 })).toBe('nvarchar(20)');
    expect(formatMsType({ name: 'varbinary', length: -1 })).toBe('varbinary(max)');
    const o = mappingWithOverride({ name: 'nvarchar', length: -1 }, 'jsonb');
    expect(o.targetType).toBe('jsonb');
    expect(o.kind).toBe('text');
  });

  it('rejects unparseable type text', () => {
    expect(() => parseMsType('decimal(1,2,3)')).toThrow(/cannot parse/);
  });
});
