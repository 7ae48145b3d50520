import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { ChunkChecksum, CopyTap, decodeCopyField, encodeCopyLine, keyFromLine } from '../../src/engines/copyText';

const rows = [
  ['1', 'plain'], ['2', 'tab\there'], ['3', 'new\nline'], ['4', 'back\\slash'], ['5', null], ['6', ''], ['7', 'ünïcödé ✓'],
];
const text = rows.map((r) => encodeCopyLine(r)).join('');
const bytes = Buffer.from(text, 'utf8');

async function tapOver(pieces: Buffer[]): Promise<CopyTap> {
  const tap = new CopyTap('ordered-sha256');
  await pipeline(Readable.from(pieces), tap, new Writable({ write: (_c, _e, cb) => cb() }));
  return tap;
}

describe('canonical COPY text', () => {
  it('round-trips every escape', () => {
    for (const r of rows) {
      const line = encodeCopyLine(r).slice(0, -1);
      expect(line.split('\t').map(decodeCopyField)).toEqual(r);
    }
  });

  it('finds the last row and counts rows for every way the stream can be cut into two or three pieces', async () => {
    const whole = new ChunkChecksum('ordered-sha256');
    whole.update(bytes);
    const expected = whole.digest();
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, Math.min(bytes.length, i + 1), Math.min(bytes.length, i + 7)]) {
        const pieces = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((p) => p.length > 0);
        const tap = await tapOver(pieces);
        expect(tap.rows).toBe(rows.length);
        expect(tap.lastRow()).toBe('7\tünïcödé ✓');
        expect(keyFromLine(tap.lastRow()!, [0])).toEqual(['7']);
        expect(tap.checksum.digest()).toBe(expected);
      }
    }
  });

  it('refuses a key from a line with the wrong number of fields', () => {
    expect(() => keyFromLine('', [0], 2)).toThrow(/1 fields, expected 2/);
  });

  it('a piece that is only the final newline still yields the whole last row', async () => {
    const tap = await tapOver([bytes.subarray(0, bytes.length - 1), bytes.subarray(bytes.length - 1)]);
    expect(tap.lastRow()).toBe('7\tünïcödé ✓');
  });

  it('the multiset checksum ignores row order but not content', () => {
    const a = new ChunkChecksum('multiset-sha256');
    const b = new ChunkChecksum('multiset-sha256');
    const c = new ChunkChecksum('multiset-sha256');
    a.update(bytes);
    b.update(Buffer.from([...rows].reverse().map((r) => encodeCopyLine(r)).join('')));
    c.update(Buffer.from(text.replace('plain', 'plaim')));
    expect(b.digest()).toBe(a.digest());
    expect(c.digest()).not.toBe(a.digest());
  });

  it('the multiset checksum is the sum mod 2^64 of each line\'s first 8 sha256 bytes (recorded checksums stay comparable), over any split', () => {
    // Enough lines that the 32-bit halves carry and the 64-bit sum wraps.
    const lines = Array.from({ length: 5000 }, (_, i) => `row ${i}\t${'x'.repeat(i % 37)}\n`);
    let want = 0n;
    for (const l of lines) want = (want + createHash('sha256').update(l).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    const all = Buffer.from(lines.join(''));
    for (const step of [all.length, 4096, 7, 1]) {
      const sum = new ChunkChecksum('multiset-sha256');
      for (let at = 0; at < all.length; at += step) sum.update(all.subarray(at, at + step));
      expect(sum.digest()).toBe(`${want.toString(16).padStart(16, '0')}:${lines.length}`);
    }
  });
});
