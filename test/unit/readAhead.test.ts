// readAhead (the backfill's and validation's MongoDB read-ahead): order kept, the next item requested
// while the consumer works on this one, at most one waiting, the source closed on an early stop, a
// source error reaching the consumer (never an unhandled rejection while the consumer is busy).
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/engines/mongodb/collectionReader';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('readAhead', () => {
  it('keeps the order and requests exactly one item ahead while the consumer works', async () => {
    const log: string[] = [];
    async function* source() {
      for (let i = 0; i < 4; i++) {
        log.push(`read ${i}`);
        await tick();
        yield i;
      }
    }
    const got: number[] = [];
    for await (const v of readAhead(source())) {
      log.push(`work ${v} start`);
      await tick(20);
      log.push(`work ${v} end`);
      got.push(v);
    }
    expect(got).toEqual([0, 1, 2, 3]);
    // Item 1 is read while item 0 is worked on, and item 2 is not read before item 1 is handed out.
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('work 0 end'));
    expect(log.indexOf('read 2')).toBeGreaterThan(log.indexOf('work 0 end'));
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const v of readAhead(source())) if (v === 2) break;
    expect(closed).toBe(true);
  });

  it('hands a read error to the consumer, after the items before it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* source() {
        yield 1;
        throw new Error('cursor lost');
      }
      const got: number[] = [];
      await expect((async () => {
        for await (const v of readAhead(source())) {
          await tick(30); // the read of the next item fails meanwhile
          got.push(v);
        }
      })()).rejects.toThrow('cursor lost');
      expect(got).toEqual([1]);
      await tick(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
