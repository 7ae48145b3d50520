import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import type sql from 'mssql';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { CATALOG_QUERIES } from '../../src/engines/mssql/catalog';
import { FLAVOR_QUERY } from '../../src/engines/mssql/serverFlavor';
import { FULL_RANGE } from '../../src/engines/sourceEngine';
import { hotelCatalog } from '../fixtures/mssql/hotelCatalog';

/**
 * The engine's wiring against a stand-in for the mssql driver (no SQL Server can run here; the
 * real driver is exercised by integration.test.ts when MSSQL_URL is set).
 */
interface Call { sql: string; params: Record<string, { type: unknown; value: unknown }>; arrayRowMode: boolean; streamed: boolean }

class FakeRequest {
  params: Call['params'] = {};
  arrayRowMode = false;
  streamed = false;
  cancelled = false;
  constructor(private readonly pool: FakePool) {}
  input(name: string, type: unknown, value: unknown) { this.params[name] = { type, value }; return this; }
  /** Stream mode: the rows the pool holds flow through the readable the engine asked for. */
  toReadableStream() {
    this.streamed = true;
    return Readable.from(this.pool.chunkRows, { objectMode: true });
  }
  cancel() { this.cancelled = true; }
  async query(text: string) {
    this.pool.calls.push({ sql: text, params: this.params, arrayRowMode: this.arrayRowMode, streamed: this.streamed });
    return { recordset: this.pool.answer(text) };
  }
}

class FakePool {
  calls: Call[] = [];
  closed = false;
  chunkRows: unknown[][] = [];
  constructor(readonly answer: (sql: string) => Record<string, unknown>[]) {}
  request() { return new FakeRequest(this); }
  async close() { this.closed = true; }
}

class TestEngine extends MssqlSourceEngine {
  constructor(readonly fake: FakePool) {
    super({ serverName: 'fake', database: 'Hotel123', server: { kind: 'mssql', url: 'mssql://u@h/master', maxConcurrency: 1 }, dboSchema: 'hotel' });
  }
  protected override connect(): Promise<sql.ConnectionPool> {
    return Promise.resolve(this.fake as unknown as sql.ConnectionPool);
  }
}

const byQuery = new Map(Object.entries(CATALOG_QUERIES).map(([k, v]) => [v, hotelCatalog[k as keyof typeof hotelCatalog]]));

describe('MssqlSourceEngine wiring', () => {
  it('describes the database from the catalog queries', async () => {
    const pool = new FakePool((q) => byQuery.get(q as never) ?? []);
    const engine = new TestEngine(pool);
    const model = await engine.describe();
    expect(pool.calls.map((c) => c.sql)).toEqual([FLAVOR_QUERY, ...Object.values(CATALOG_QUERIES)]);
    expect(model.sourceKind).toBe('mssql');
    expect(model.tables.find((t) => t.name === 'Guest')?.targetSchema).toBe('hotel');
    expect((await engine.preDataSteps(model))[0].sql).toBe('CREATE SCHEMA IF NOT EXISTS "Billing"');
    expect((await engine.postDataSteps(model)).some((s) => s.group === 1 && /FOREIGN KEY/.test(s.sql))).toBe(true);
    expect(await engine.sequenceStates(model)).toEqual([]);
    await engine.close();
    expect(pool.closed).toBe(true);
  });

  it('reads a chunk as canonical COPY text with typed key parameters', async () => {
    const pool = new FakePool((q) => byQuery.get(q as never) ?? []);
    const engine = new TestEngine(pool);
    const model = await engine.describe();
    const nights = model.tables.find((t) => t.name === 'BookingNight')!;
    pool.chunkRows = [['1001', '2026-01-02', '120.00'], ['1001', '2026-01-03', '99.50']];
    const stream = await engine.readChunk({ table: nights, range: FULL_RANGE, after: ['1001', '2026-01-01'], limit: 2 });
    let text = '';
    for await (const c of stream) text += c.toString();
    expect(text).toBe('1001\t2026-01-02\t120.00\n1001\t2026-01-03\t99.50\n');
    const call = pool.calls[pool.calls.length - 1];
    expect(call.arrayRowMode).toBe(true);
    expect(call.streamed).toBe(true);
    expect(call.sql).toMatch(/^SELECT TOP \(@limit\) CONVERT\(varchar\(20\), \[BookingId\]\) AS \[c0\]/);
    expect(call.params.limit.value).toBe(2);
    expect(Object.fromEntries(Object.entries(call.params).filter(([k]) => k !== 'limit').map(([k, v]) => [k, v.value])))
      .toEqual({ k0: '1001', k1: '1001', k2: '2026-01-01' });
  });

  it('counts and plans ranges through the driver', async () => {
    const pool = new FakePool((q) => {
      if (q.startsWith('SELECT COUNT_BIG')) return [{ n: '21000' }];
      if (q.startsWith('SELECT CONVERT(varchar(20), MAX(x.k))')) return [{ b: '1200' }, { b: '2400' }, { b: '3600' }, { b: '6399' }];
      return byQuery.get(q as never) ?? [];
    });
    const engine = new TestEngine(pool);
    const model = await engine.describe();
    const nights = model.tables.find((t) => t.name === 'BookingNight')!;
    expect(await engine.count(nights, { lo: '5', hi: null })).toBe(21000);
    expect(pool.calls[pool.calls.length - 1].params.k0.value).toBe('5');
    expect(await engine.planRanges(nights, 4)).toEqual([
      { lo: null, hi: '1200' }, { lo: '1200', hi: '2400' }, { lo: '2400', hi: '3600' }, { lo: '3600', hi: null },
    ]);
    expect(await engine.planRanges(model.tables.find((t) => t.name === 'User')!, 4)).toEqual([FULL_RANGE]);
  });
});
