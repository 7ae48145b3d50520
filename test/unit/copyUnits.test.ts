import { describe, expect, it } from 'vitest';
import { copyUnits, PARALLEL_BATCH_ROWS, SMALL_TABLE_ROWS } from '../../src/workflows/phases/copy';
import { smallBatchCount } from '../../src/workflows/phases/validate';
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

describe('small tables batched by rows', () => {
  const tiny = [item('customers', 200), item('orders', 1000), item('order_lines', 3000), item('audit_log', 500), item('meta', 1)];
  const rangesOf = (q: CopyWorkItem[]) => new Map(q.map((i) => [i.table, 1]));

  it('a tenant of a few thousand rows copies its small tables in one call; by concurrency alone it took four', () => {
    expect(copyUnits(tiny, rangesOf(tiny), 4, PARALLEL_BATCH_ROWS)).toEqual([tiny]);
    expect(copyUnits(tiny, rangesOf(tiny), 4, 0)).toHaveLength(4);
  });

  it('more rows make more parallel batches, up to the concurrency, each small table once', () => {
    const mid = Array.from({ length: 10 }, (_, i) => item(`m${i}`, 6_000)); // 60k rows
    const units = copyUnits(mid, rangesOf(mid), 4, PARALLEL_BATCH_ROWS);
    expect(units).toHaveLength(Math.ceil(60_000 / PARALLEL_BATCH_ROWS));
    expect(units.flat().map((i) => i.table).sort()).toEqual(mid.map((i) => i.table).sort());
    const many = Array.from({ length: 20 }, (_, i) => item(`n${i}`, 15_000)); // 300k rows: the concurrency
    expect(copyUnits(many, rangesOf(many), 4, PARALLEL_BATCH_ROWS)).toHaveLength(4);
    const more = Array.from({ length: 50 }, (_, i) => item(`o${i}`, 15_000)); // 750k rows: batches of at most 100k
    expect(copyUnits(more, rangesOf(more), 4, PARALLEL_BATCH_ROWS)).toHaveLength(8);
  });

  it('validation batches follow the same rule, and the old count without it', () => {
    expect(smallBatchCount(tiny.map((i) => i.estimatedRows), 4, true)).toBe(1);
    expect(smallBatchCount([30_000, 30_000], 4, true)).toBe(3);
    expect(smallBatchCount(Array.from({ length: 50 }, () => 20_000), 4, true)).toBe(4);
    expect(smallBatchCount(tiny.map((i) => i.estimatedRows), 4, false)).toBe(4);
  });
});
