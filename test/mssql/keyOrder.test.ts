import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type sql from 'mssql';
import { keyExpr, keyValueExpr, sqlServerGuidOrder } from '../../src/engines/postgres/quoting';
import { keyOrderOf, msKeyExpr, msKeyValue } from '../../src/engines/mssql/keyOrder';
import type { ServerFlavor } from '../../src/engines/mssql/serverFlavor';
import { canonicalClient } from './pgScratch';
import { isBabelfish, mssqlAdminPool, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';

/**
 * GUID- and text-keyed SQL Server tables are paged in an order both engines agree on. The
 * PostgreSQL expression for uniqueidentifier is checked against SQL Server's documented order
 * (SqlGuid: bytes 10-15, 8-9, 6-7, 4-5, 0-3 of Guid.ToByteArray(), most significant first), and
 * the T-SQL side against the same order on the endpoint.
 */
const MSSQL_URL = mssqlUrlOrSkip('key order on the TDS endpoint (test/mssql/keyOrder.test.ts)');

/** Guid.ToByteArray(): the first three groups little-endian, the rest as written. */
function toByteArray(guid: string): number[] {
  const h = guid.replace(/-/g, '');
  const b = (i: number) => parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return [b(3), b(2), b(1), b(0), b(5), b(4), b(7), b(6), ...Array.from({ length: 8 }, (_, i) => b(8 + i))];
}

const SQLGUID_PRIORITY = [10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3];

function documentedCompare(a: string, b: string): number {
  const x = toByteArray(a);
  const y = toByteArray(b);
  for (const i of SQLGUID_PRIORITY) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function guidText(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One 0x01 byte in each of the 16 positions, plus random GUIDs. */
const guids = [
  ...Array.from({ length: 16 }, (_, i) => { const b = Buffer.alloc(16); b[i] = 1; return guidText(b); }),
  ...Array.from({ length: 200 }, () => guidText(randomBytes(16))),
];
const documented = [...guids].sort(documentedCompare);

/** Text keys: case, accents, code-page characters, symbols; their code point order. */
const texts = ['A', 'a', 'B', 'b', 'Z', 'z', 'é', 'É', '€', 'ß', 'Ω', '0', '9', ' x', '!', '~', 'ab', 'a b', 'aB', 'Ab', 'ä', 'ō', '中', '日本'];
const codePointOrder = [...texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('PostgreSQL read-back order', () => {
  it('sorts uniqueidentifier keys in SQL Server\'s documented byte-group order', async () => {
    // The 16 one-byte GUIDs in documented order: the least significant byte (0x01 at the first text position) first.
    expect(documented.slice(0, 4).every((g) => guids.indexOf(g) < 16)).toBe(true);
    expect(documented.indexOf('01000000-0000-0000-0000-000000000000')).toBeLessThan(documented.indexOf('00000000-0000-0000-0000-000000000001'));
    const pg = await canonicalClient();
    try {
      const values = guids.map((g) => `('${g}'::uuid)`).join(', ');
      const r = await pg.query(`SELECT u::text AS u FROM (VALUES ${values}) AS v(u) ORDER BY ${sqlServerGuidOrder('u')}`);
      expect(r.rows.map((x) => x.u)).toEqual(documented);
      // Keyset comparison agrees with the order: rows after the 100th key are exactly the rest.
      const pivot = documented[99];
      const after = await pg.query(`SELECT u::text AS u FROM (VALUES ${values}) AS v(u) WHERE (${keyExpr('u', 'sqlserver-guid')}) > (${keyValueExpr(pivot, 'uuid', 'sqlserver-guid')}) ORDER BY ${keyExpr('u', 'sqlserver-guid')}`);
      expect(after.rows.map((x) => x.u)).toEqual(documented.slice(100));
    } finally {
      await pg.end();
    }
  });

  it('sorts text keys by code point with COLLATE "C"', async () => {
    const pg = await canonicalClient();
    try {
      const values = texts.map((t) => `(${"'" + t.replace(/'/g, "''") + "'"}::text)`).join(', ');
      const r = await pg.query(`SELECT k FROM (VALUES ${values}) AS v(k) ORDER BY ${keyExpr('k', 'binary')}`);
      expect(r.rows.map((x) => x.k)).toEqual(codePointOrder);
    } finally {
      await pg.end();
    }
  });
});

describe.skipIf(!MSSQL_URL)('T-SQL key order on the endpoint', () => {
  let pool: sql.ConnectionPool;
  let flavor: ServerFlavor;

  beforeAll(async () => {
    pool = await mssqlAdminPool();
    flavor = (await isBabelfish(pool)) ? 'babelfish' : 'sqlserver';
  });
  afterAll(async () => { await pool?.close(); });

  it('orders uniqueidentifier keys as keyOrderOf says: SQL Server\'s byte groups there, PostgreSQL\'s uuid order on Babelfish', async () => {
    const order = keyOrderOf({ kind: 'uuid', orderSafe: false }, flavor);
    expect(order).toBe(flavor === 'babelfish' ? 'natural' : 'sqlserver-guid');
    const values = guids.map((g) => `(CONVERT(uniqueidentifier, '${g}'))`).join(', ');
    const from = `FROM (VALUES ${values}) AS v(u)`;
    const expected = order === 'sqlserver-guid' ? documented : [...guids].sort();
    const r = await pool.request().query(`SELECT LOWER(CONVERT(char(36), u)) AS u ${from} ORDER BY ${msKeyExpr('u', order!, 'uniqueidentifier')}`);
    expect(r.recordset.map((x) => x.u)).toEqual(expected);
    const pivot = expected[99];
    const after = await pool.request().query(`SELECT LOWER(CONVERT(char(36), u)) AS u ${from}
      WHERE ${msKeyExpr('u', order!, 'uniqueidentifier')} > ${msKeyValue(`CONVERT(uniqueidentifier, '${pivot}')`, order!)}
      ORDER BY ${msKeyExpr('u', order!, 'uniqueidentifier')}`);
    expect(after.recordset.map((x) => x.u)).toEqual(expected.slice(100));
    // The PostgreSQL side reads back in the same order.
    const pg = await canonicalClient();
    try {
      const pv = guids.map((g) => `('${g}'::uuid)`).join(', ');
      const back = await pg.query(`SELECT u::text AS u FROM (VALUES ${pv}) AS v(u) ORDER BY ${keyExpr('u', order!)}`);
      expect(back.rows.map((x) => x.u)).toEqual(expected);
    } finally {
      await pg.end();
    }
  });

  it('orders nvarchar and varchar keys by code point under the binary collation', async () => {
    const values = texts.map((t) => `(N'${t.replace(/'/g, "''")}')`).join(', ');
    const r = await pool.request().query(`SELECT k FROM (VALUES ${values}) AS v(k) ORDER BY ${msKeyExpr('k', 'binary', 'nvarchar(20)')}`);
    expect(r.recordset.map((x) => x.k)).toEqual(codePointOrder);
    // varchar holds only what its code page has: compare its Unicode form.
    const latin = texts.filter((t) => /^[\x20-\x7e\u00c0-\u00ff€]*$/.test(t));
    const vvalues = latin.map((t) => `(CONVERT(varchar(20), N'${t.replace(/'/g, "''")}'))`).join(', ');
    const v = await pool.request().query(`SELECT CONVERT(nvarchar(20), k) AS k FROM (VALUES ${vvalues}) AS v(k) ORDER BY ${msKeyExpr('k', 'binary', 'varchar(20)')}`);
    expect(v.recordset.map((x) => x.k)).toEqual(codePointOrder.filter((t) => latin.includes(t)));
  });
});
