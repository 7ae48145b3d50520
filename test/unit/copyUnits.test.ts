import { describe, expect, it } from 'vitest';
import { copyUnits, SMALL_TABLE_ROWS } from '../../src/workflows/phases/copy';
import type { CopyWorkItem } from '../../src/activities/planCopy';

const item = (table: string, estimatedRows: number, rangeId = 0): CopyWorkItem => ({ table, rangeId, done: false, rowsDone: 0, estimatedRows });

describe('copy work units', () => {
  it('batches small one-range tables over the concurrency, keeps large and split tables alone', () => {
    const queue = [item('big', 1_000_000), item('split', 30_000, 0), item('split', 30_000, 1),
      ...Array.from({ length: 7 }, (_, i) => item(`small${i}`, 100 * (7 - i)))];
    const rangesOf = new Map([['big', 1], ['split', 2], ...Array.from({ length: 7 }, (_, i) => [`small${i}`, 1] as [string, number])]);
    const units = copyUnits(queue, rangesOf, 2);
    expect(units[0]).toEqual([queue[0]]);
    const alone = units.filter((u) => u.length === 1).map((u) => `${u[0].table}#${u[0].rangeId}`);
    expect(alone).toEqual(expect.arrayContaining(['big#0', 'split#0', 'split#1']));
    const batches = units.filter((u) => u.length > 1);
    expect(batches).toHaveLength(2);
    // Every small table exactly once.
    expect(batches.flat().map((i) => i.table).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `small${i}`));
  });

  it('makes more batches when the small tables hold many rows, and none for a lone small table', () => {
    const many = Array.from({ length: 20 }, (_, i) => item(`t${i}`, SMALL_TABLE_ROWS));
    const units = copyUnits(many, new Map(many.map((i) => [i.table, 1])), 2);
    expect(units.length).toBe(4); // 400k rows in batches of at most 100k
    expect(units.flat()).toHaveLength(20);
    expect(copyUnits([item('one', 10)], new Map([['one', 1]]), 4)).toEqual([[item('one', 10)]]);
  });
});
