import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'pg';
import { encodeValue, formatFloat4, formatFloat8, normalizeDecimal, toUtc, parseDateTime, addMicrosecond, formatTimestamp } from '../../src/engines/mssql/valueEncoding';
import { mapMsType, parseMsType } from '../../src/engines/mssql/typeMapping';
import { encodeCopyLine } from '../../src/engines/copyText';
import { canonicalClient } from './pgScratch';

/** Keep the server's text output as it is (no client-side parsing). */
const rawText = { getTypeParser: () => (v: string) => v } as never;

const m = (t: string) => mapMsType(parseMsType(t));

/**
 * [source type, value as the driver returns it through the projection, canonical text].
 * The canonical text must be exactly what PostgreSQL prints for the target type (checked below).
 */
const cases: [string, unknown, string | null][] = [
  ['bit', true, 't'],
  ['bit', false, 'f'],
  ['bit', null, null],
  ['tinyint', 255, '255'],
  ['smallint', -32768, '-32768'],
  ['int', 2147483647, '2147483647'],
  ['bigint', '-9223372036854775808', '-9223372036854775808'],
  ['bigint', '9223372036854775807', '9223372036854775807'],
  ['decimal(38,10)', '1234567890123456789012345678.1234567890', '1234567890123456789012345678.1234567890'],
  ['decimal(38,0)', '99999999999999999999999999999999999999', '99999999999999999999999999999999999999'],
  ['decimal(10,4)', '-.5000', '-0.5000'],
  ['decimal(10,4)', '.0000', '0.0000'],
  ['decimal(10,4)', '-0.0000', '0.0000'],
  ['decimal(5,2)', '0.10', '0.10'],
  ['money', '922337203685477.5807', '922337203685477.5807'],
  ['money', '-922337203685477.5808', '-922337203685477.5808'],
  ['money', '0.0100', '0.0100'],
  ['smallmoney', '-214748.3648', '-214748.3648'],
  ['float', 0.1, '0.1'],
  ['float', 1e15, '1e+15'],
  ['float', 123456789012345, '123456789012345'],
  ['float', 1.7976931348623157e308, '1.7976931348623157e+308'],
  ['float', -2.2250738585072014e-308, '-2.2250738585072014e-308'],
  ['float', 0.0001, '0.0001'],
  ['float', 0.00001, '1e-05'],
  ['float', -0, '-0'],
  ['real', Math.fround(0.1), '0.1'],
  ['real', Math.fround(3.4028235e38), '3.4028235e+38'],
  ['real', Math.fround(123456), '123456'],
  ['real', Math.fround(1234567), '1.234567e+06'],
  ['real', Math.fround(1.17549435e-38), '1.1754944e-38'],
  ['date', '0001-01-01', '0001-01-01'],
  ['date', '9999-12-31', '9999-12-31'],
  ['time(7)', '23:59:59.9999999', '23:59:59.999999'],
  ['time(7)', '00:00:00.0000000', '00:00:00'],
  ['time(7)', '12:34:56.1000000', '12:34:56.1'],
  ['time(3)', '12:34:56.120', '12:34:56.12'],
  ['time(0)', '12:34:56', '12:34:56'],
  ['datetime', '1753-01-01 00:00:00.000', '1753-01-01 00:00:00'],
  ['datetime', '2024-02-29 23:59:59.997', '2024-02-29 23:59:59.997'],
  ['datetime', '2020-01-01 00:00:00.003', '2020-01-01 00:00:00.003'],
  ['datetime', '9999-12-31 23:59:59.997', '9999-12-31 23:59:59.997'],
  ['smalldatetime', '2079-06-06 23:59:00', '2079-06-06 23:59:00'],
  ['datetime2(7)', '9999-12-31 23:59:59.9999999', '9999-12-31 23:59:59.999999'],
  ['datetime2(7)', '0001-01-01 00:00:00.0000000', '0001-01-01 00:00:00'],
  ['datetime2(7)', '2020-06-15 08:30:00.1234567', '2020-06-15 08:30:00.123456'],
  ['datetime2(0)', '2020-06-15 08:30:00', '2020-06-15 08:30:00'],
  ['datetime2(3)', '2020-06-15 08:30:00.500', '2020-06-15 08:30:00.5'],
  ['datetimeoffset(7)', '2020-06-15 08:30:00.1234567 +02:00', '2020-06-15 06:30:00.123456+00'],
  ['datetimeoffset(7)', '2020-01-01 00:30:00.0000000 +05:45', '2019-12-31 18:45:00+00'],
  ['datetimeoffset(7)', '2020-12-31 20:00:00.0000000 -05:00', '2021-01-01 01:00:00+00'],
  ['datetimeoffset(7)', '2024-02-28 23:00:00.0000000 -14:00', '2024-02-29 13:00:00+00'],
  ['datetimeoffset(7)', '9999-12-31 23:59:59.9999999 -01:00', '10000-01-01 00:59:59.999999+00'],
  ['datetimeoffset(0)', '2020-06-15 08:30:00 +00:00', '2020-06-15 08:30:00+00'],
  ['char(5)', 'ab   ', 'ab   '],
  ['char(5)', 'ab', 'ab   '],
  ['nchar(3)', 'äö ', 'äö '],
  ['varchar(20)', '', ''],
  ['varchar(20)', 'trailing  ', 'trailing  '],
  ['nvarchar(max)', 'tab\there\nnew\\line\r', 'tab\there\nnew\\line\r'],
  ['nvarchar(20)', '日本語 😀', '日本語 😀'],
  ['varbinary(max)', Buffer.from([0, 1, 0xfe, 0xff]), '\\x0001feff'],
  ['varbinary(10)', Buffer.alloc(0), '\\x'],
  ['binary(4)', Buffer.from('deadbeef', 'hex'), '\\xdeadbeef'],
  ['image', Buffer.from('89504e47', 'hex'), '\\x89504e47'],
  ['rowversion', Buffer.from('00000000000007d1', 'hex'), '\\x00000000000007d1'],
  ['uniqueidentifier', '6F9619FF-8B86-D011-B42D-00C04FC964FF', '6f9619ff-8b86-d011-b42d-00c04fc964ff'],
  ['xml', '<a b="1">x &amp; y</a>', '<a b="1">x &amp; y</a>'],
  ['sql_variant', '2020-01-01 00:00:00.000', '2020-01-01 00:00:00.000'],
  ['hierarchyid', '/1/3/', '/1/3/'],
  ['geography', 'SRID=4326;POINT (-122.34 47.65)', 'SRID=4326;POINT (-122.34 47.65)'],
];

describe('value encoding (table-driven)', () => {
  it.each(cases)('%s %j -> %j', (type, value, expected) => {
    expect(encodeValue(value, m(type))).toBe(expected);
  });

  it('keeps NULL and empty string apart in COPY text', () => {
    const line = encodeCopyLine([encodeValue(null, m('varchar(5)')), encodeValue('', m('varchar(5)')), encodeValue('a\\b\tc', m('varchar(9)'))]);
    expect(line).toBe('\\N\t\ta\\\\b\\tc\n');
  });

  it('bytea hex survives COPY escaping', () => {
    expect(encodeCopyLine([encodeValue(Buffer.from([0xab]), m('varbinary(1)'))])).toBe('\\\\xab\n');
  });

  it('refuses NUL characters in text with a clear reason', () => {
    expect(() => encodeValue('a\0b', m('varchar(5)'))).toThrow(/NUL character/);
  });

  it('refuses values of the wrong shape', () => {
    expect(() => encodeValue(new Date(), m('datetime2(7)'))).toThrow(/as text/);
    expect(() => encodeValue('12.3.4', m('decimal(5,2)'))).toThrow(/not a decimal/);
  });

  it('normalizes decimal text from SQL Server', () => {
    expect(normalizeDecimal('+00012.50')).toBe('12.50');
    expect(normalizeDecimal('-.5')).toBe('-0.5');
    expect(normalizeDecimal('7.')).toBe('7');
  });

  it('does calendar arithmetic across years and leap days', () => {
    expect(formatTimestamp(toUtc(parseDateTime('2000-03-01 01:00:00 +02:00')), 6)).toBe('2000-02-29 23:00:00');
    expect(formatTimestamp(addMicrosecond(parseDateTime('1999-12-31 23:59:59.999999')), 6)).toBe('2000-01-01 00:00:00');
    expect(formatTimestamp(addMicrosecond(parseDateTime('2020-01-01 00:00:00')), 6)).toBe('2020-01-01 00:00:00.000001');
  });
});

describe('canonical text equals what PostgreSQL prints back', () => {
  let pg: Client;
  beforeAll(async () => { pg = await canonicalClient(); });
  afterAll(async () => { await pg?.end(); });

  it('for every table case', async () => {
    for (const [type, value, expected] of cases) {
      if (expected === null) continue;
      const target = m(type).targetType;
      const r = await pg.query({ text: `SELECT CAST($1::text AS ${target}) AS t`, values: [expected], types: rawText });
      expect(r.rows[0].t, `${type} ${expected}`).toBe(expected);
      void value;
    }
  });

  it('for boundary doubles (PostgreSQL never prints a digit string on a rounding boundary)', () => {
    expect(formatFloat8(545459213103456800)).toBe('5.4545921310345677e+17');
  });

  it('for 5000 random doubles and reals', async () => {
    const doubles: number[] = [];
    const reals: number[] = [];
    const buf = Buffer.alloc(8);
    for (let i = 0; i < 1000; i++) {
      // random bit patterns cover every exponent
      for (let b = 0; b < 8; b++) buf[b] = Math.floor(Math.random() * 256);
      const d = buf.readDoubleLE(0);
      if (Number.isFinite(d)) doubles.push(d);
      const f = buf.readFloatLE(0);
      if (Number.isFinite(f)) reals.push(f);
      doubles.push(Math.random() * 10 ** Math.floor(Math.random() * 40 - 20));
      // short exact binary fractions: decimal ties at the shortest length
      reals.push(Math.fround(Math.floor(Math.random() * 2 ** 20) / 2 ** Math.floor(Math.random() * 8)));
      doubles.push(Math.floor(Math.random() * 2 ** 50) / 2 ** Math.floor(Math.random() * 8));
    }
    // float8send -> exact binary; the text comes from PostgreSQL's float8out
    const d = await pg.query({ text: `SELECT x AS t FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`, values: [doubles.map((x) => x.toPrecision(17))], types: rawText });
    d.rows.forEach((r, i) => expect(formatFloat8(doubles[i]), String(doubles[i])).toBe(r.t));
    const f = await pg.query({ text: `SELECT x::float4 AS t FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`, values: [reals.map((x) => x.toPrecision(17))], types: rawText });
    f.rows.forEach((r, i) => expect(formatFloat4(reals[i]), String(reals[i])).toBe(r.t));
  });
});
