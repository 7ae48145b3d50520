import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { BinaryCopyTap, ChunkChecksum } from '../../src/engines/copyText';
import { BinaryCopyWalker, binaryCopyRefusal } from '../../src/engines/copyBinary';
import { dropDatabases, withDb } from '../helpers/pg';

const DB = 'tmig_binary_copy';
// Every built-in type the binary path accepts, with NULLs, empty values, multi-byte text and a
// composite key whose columns are not in table order.
const DDL = `CREATE TABLE zoo (
  a text NOT NULL, note text, n numeric, amount numeric(14,2), f double precision, r real, s smallint, b bigint NOT NULL,
  ts timestamp(3) without time zone, tz timestamptz, d date, t time without time zone, iv interval, j json, jb jsonb, by bytea,
  ok boolean, u uuid, ip inet, arr integer[], tags text[], PRIMARY KEY (b, a))`;
const ROWS = `INSERT INTO zoo SELECT 'k' || g || CASE WHEN g % 3 = 0 THEN 'ünï ✓' ELSE '' END,
  CASE WHEN g % 4 = 0 THEN NULL WHEN g % 4 = 1 THEN '' ELSE repeat('x', g % 300) || E'\\ttab\\nline' END,
  g * 1.000100, g / 7.0, g / 3.0, g / 9.0, (g % 30000)::smallint, g::bigint * 1000003,
  '2020-01-01'::timestamp + g * interval '1.234 second', now() - g * interval '1 hour', '2020-01-01'::date + g, '00:00'::time + g * interval '1 s',
  g * interval '1 day 2 hours', json_build_object('g', g), jsonb_build_object('k', g, 'arr', jsonb_build_array(g, 'x')),
  decode(repeat(lpad(to_hex(g % 256), 2, '0'), g % 50), 'hex'), g % 2 = 0, md5(g::text)::uuid, ('10.0.' || (g % 256) || '.1')::inet,
  ARRAY[g, NULL, g + 1], ARRAY['a' || g, NULL] FROM generate_series(1, 3000) g`;

async function copyOut(db: Client, sql: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(db.query(copyTo(sql)), new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } }));
  return Buffer.concat(parts);
}

describe('binary COPY between PostgreSQL databases', () => {
  let binary: Buffer;
  beforeAll(async () => {
    await dropDatabases(DB);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE ${DB}`));
    binary = await withDb(DB, async (db) => {
      await db.query(DDL);
      await db.query(ROWS);
      await db.query('CREATE TABLE zoo_copy (LIKE zoo INCLUDING ALL)');
      return copyOut(db, 'COPY (SELECT * FROM zoo ORDER BY b, a) TO STDOUT (FORMAT binary)');
    });
  });
  afterAll(() => dropDatabases(DB));

  it('counts rows and finds the last key however the stream is cut, and refuses a cut-short stream', async () => {
    const whole = new ChunkChecksum('ordered-sha256-binary');
    whole.update(binary);
    const digest = whole.digest();
    expect(whole.rows).toBe(3000);
    // Key (b, a): b is field 8, a is field 1.
    for (const size of [1, 2, 3, 5, 7]) {
      const sum = new ChunkChecksum('ordered-sha256-binary', { expectedFields: 21, capture: [7, 0] });
      for (let i = 0; i < binary.length; i += size) sum.update(binary.subarray(i, i + size));
      expect([sum.rows, sum.digest()]).toEqual([3000, digest]);
      expect(sum.walker!.lastFields()!.map((b) => b.length)).toEqual([8, Buffer.byteLength('k3000ünï ✓')]);
    }
    for (const size of [64, 1000, 65536]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < binary.length; i += size) pieces.push(binary.subarray(i, i + size));
      const tap = new BinaryCopyTap(21, [7, 0], ['bigint', 'text']);
      await pipeline(Readable.from(pieces), tap, new Writable({ write: (_c, _e, cb) => cb() }));
      expect(tap.rows).toBe(3000);
      expect(tap.checksum.digest()).toBe(digest);
      expect(tap.lastKey()).toEqual([String(3000 * 1000003), 'k3000ünï ✓']);
    }
    const cut = new BinaryCopyWalker(21);
    cut.update(binary.subarray(0, binary.length - 2)); // without the trailer
    expect(() => cut.finish()).toThrow(/without its trailer/);
    const mid = new BinaryCopyWalker(21);
    mid.update(binary.subarray(0, 5000));
    expect(() => mid.finish()).toThrow(/middle of a row/);
    expect(() => new BinaryCopyWalker(20).update(binary)).toThrow(/has 21 fields, expected 20/);
  });

  it('round-trips every value: read back in binary, the bytes (and the text form) are the same', async () => {
    await withDb(DB, async (db) => {
      await pipeline(Readable.from([binary]), db.query(copyFrom('COPY zoo_copy FROM STDIN (FORMAT binary)')));
      const back = await copyOut(db, 'COPY (SELECT * FROM zoo_copy ORDER BY b, a) TO STDOUT (FORMAT binary)');
      expect(back.equals(binary)).toBe(true);
      const text = (t: string) => copyOut(db, `COPY (SELECT * FROM ${t} ORDER BY b, a) TO STDOUT`);
      expect((await text('zoo_copy')).equals(await text('zoo'))).toBe(true);
      // A changed value changes the binary checksum.
      await db.query(`UPDATE zoo_copy SET amount = amount + 0.01 WHERE b = 1500 * 1000003`);
      const changed = new ChunkChecksum('ordered-sha256-binary');
      changed.update(await copyOut(db, 'COPY (SELECT * FROM zoo_copy ORDER BY b, a) TO STDOUT (FORMAT binary)'));
      const original = new ChunkChecksum('ordered-sha256-binary');
      original.update(binary);
      expect(changed.digest()).not.toBe(original.digest());
    });
  });

  it('takes only tables whose columns keep one built-in type and whose key it can decode', () => {
    const col = (name: string, type: string, targetType = type) => ({ name, sourceType: type, targetType, generated: false });
    expect(binaryCopyRefusal([col('id', 'bigint'), col('v', 'numeric(14,2)'), col('w', 'timestamp(3) with time zone'), col('x', 'integer[]')], ['id'])).toBeNull();
    expect(binaryCopyRefusal([col('id', 'bigint'), col('m', 'mood')], ['id'])).toMatch(/column m has type mood/);
    expect(binaryCopyRefusal([col('id', 'bigint'), col('m', 'mood[]')], ['id'])).toMatch(/mood\[\]/);
    expect(binaryCopyRefusal([col('id', 'bigint'), col('v', 'integer', 'bigint')], ['id'])).toMatch(/changes type/);
    expect(binaryCopyRefusal([col('id', 'numeric')], ['id'])).toMatch(/key column id has type numeric/);
    expect(binaryCopyRefusal([col('v', 'text')], null)).toMatch(/no key/);
  });
});
