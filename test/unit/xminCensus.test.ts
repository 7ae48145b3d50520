import { describe, expect, it } from 'vitest';
import { compareCensus } from '../../src/validation/xminCensus';

describe('xmin census verdict', () => {
  // Chunk transactions are recorded as 64-bit txid_current(); xmin shows their low 32 bits.
  const epoch1 = (xid: number) => ((1n << 32n) + BigInt(xid)).toString();
  const chunks = [{ xact: epoch1(700), rows: 100 }, { xact: epoch1(705), rows: 40 }];
  const now = BigInt(epoch1(900));

  it('passes when every row carries a chunk transaction with exactly its row count', () => {
    expect(compareCensus(new Map([['700', 100], ['705', 40]]), chunks, now)).toEqual({ ok: true, rows: 140, differences: [] });
  });

  it('names rows written since the copy and rows gone from a chunk', () => {
    const updated = compareCensus(new Map([['700', 99], ['705', 40], ['9001', 1]]), chunks, now);
    expect(updated.ok).toBe(false);
    expect(updated.rows).toBe(140);
    expect(updated.differences.join('; ')).toMatch(/^1 row\(s\) written after the copy.*; 1 row\(s\) the chunks committed are no longer there/);
    expect(compareCensus(new Map([['700', 100]]), chunks, now).differences).toEqual([expect.stringMatching(/^40 row\(s\) the chunks committed/)]);
    expect(compareCensus(new Map([['700', 100], ['705', 40], ['706', 2]]), chunks, now).differences).toEqual([expect.stringMatching(/^2 row\(s\) written after/)]);
  });

  it('does not trust 32-bit xmin once 2^31 transactions have passed since a chunk', () => {
    const late = compareCensus(new Map([['700', 100], ['705', 40]]), chunks, BigInt(epoch1(700)) + 0x80000000n);
    expect(late.ok).toBe(false);
    expect(late.differences[0]).toMatch(/may repeat/);
  });
});
