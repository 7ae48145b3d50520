import { describe, expect, it } from 'vitest';
import { normalisePgType, sameType } from '../../src/validation/typeNames';

describe('PostgreSQL type name normalisation (planned type vs format_type)', () => {
  it.each([
    ['int', 'integer'], ['int4', 'integer'], ['serial', 'integer'], ['bigserial', 'bigint'], ['int2', 'smallint'],
    ['varchar(20)', 'character varying(20)'], ['VARCHAR ( 20 )', 'character varying(20)'], ['char', 'character(1)'],
    ['char(3)', 'character(3)'], ['decimal(10, 2)', 'numeric(10,2)'], ['float', 'double precision'], ['float(10)', 'real'],
    ['float8', 'double precision'], ['bool', 'boolean'], ['timestamptz', 'timestamp with time zone'],
    ['timestamptz(3)', 'timestamp(3) with time zone'], ['timestamp', 'timestamp without time zone'],
    ['timestamp(6)', 'timestamp(6) without time zone'], ['time', 'time without time zone'], ['timetz', 'time with time zone'],
    ['int[]', 'integer[]'], ['text[][]', 'text[][]'], ['pg_catalog.int8', 'bigint'], ['varbit(4)', 'bit varying(4)'],
  ])('%s is %s', (planned, formatted) => {
    expect(sameType(planned, formatted)).toBe(true);
  });

  it.each([
    ['timestamp', 'timestamp with time zone'], ['numeric(10,2)', 'numeric(12,2)'], ['integer', 'bigint'],
    ['varchar(20)', 'text'], ['time(3)', 'time(6) without time zone'], ['int[]', 'integer'],
  ])('%s is not %s', (planned, formatted) => {
    expect(sameType(planned, formatted)).toBe(false);
  });

  it('folds unquoted unknown types to lower case and keeps quoted ones as written', () => {
    expect(normalisePgType('Citext')).toBe('citext');
    expect(normalisePgType('public."MyEnum"')).toBe('"MyEnum"');
    expect(sameType('"MyEnum"', '"myenum"')).toBe(false);
  });
});
