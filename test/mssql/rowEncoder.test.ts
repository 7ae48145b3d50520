import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RowEncoder } from '../../src/engines/mssql/source';
import { selectList } from '../../src/engines/mssql/keysetQuery';
import { CopyTap, keyFromLine } from '../../src/engines/copyText';
import { mapMsType, parseMsType } from '../../src/engines/mssql/typeMapping';
import type { TableModel, ColumnModel } from '../../src/engines/schemaModel';
import { PermanentError } from '../../src/contract/failures';

function col(name: string, sourceType: string, extra: Partial<ColumnModel> = {}): ColumnModel {
  const m = mapMsType(parseMsType(sourceType));
  return { name, targetName: name, sourceType: m.sourceType, targetType: m.targetType, nullable: true, generated: false, ...extra };
}
const table: TableModel = {
  schema: 'dbo', name: 'T', targetSchema: 'public', targetName: 'T', key: ['Id'], estimatedRows: 0, indexes: [], foreignKeys: [], checks: [],
  columns: [col('Id', 'int'), col('Name', 'nvarchar(20)'), col('Calc', 'int', { generated: true, defaultExpr: '1' }), col('At', 'datetime2(7)'), col('Bin', 'varbinary(10)')],
};

describe('row stream -> canonical COPY text', () => {
  it('encodes driver rows (copied columns only) into COPY lines the tap can key', async () => {
    const { mappings } = selectList(table);
    const rows = [
      [1, 'a\tb', '2020-01-01 00:00:00.1234567', Buffer.from([1])],
      [2, null, null, null],
      [3, '', '9999-12-31 23:59:59.9999999', Buffer.alloc(0)],
    ];
    const tap = new CopyTap('ordered-sha256');
    const chunks: Buffer[] = [];
    await pipeline(Readable.from(rows), new RowEncoder(table, mappings), tap, new Writable({ write(c, _e, cb) { chunks.push(c); cb(); } }));
    expect(Buffer.concat(chunks).toString()).toBe(
      '1\ta\\tb\t2020-01-01 00:00:00.123456\t\\\\x01\n'
      + '2\t\\N\t\\N\t\\N\n'
      + '3\t\t9999-12-31 23:59:59.999999\t\\\\x\n');
    expect(tap.rows).toBe(3);
    expect(keyFromLine(tap.lastRow()!, [0])).toEqual(['3']);
  });

  it('batches lines and respects backpressure on large chunks', async () => {
    const { mappings } = selectList(table);
    let produced = 0;
    const source = new Readable({
      objectMode: true, highWaterMark: 16,
      read() { produced++; this.push(produced <= 20000 ? [produced, 'x'.repeat(50), null, null] : null); },
    });
    let maxAhead = 0;
    let consumed = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(c: Buffer, _e, cb) {
        consumed += c.toString().split('\n').length - 1;
        maxAhead = Math.max(maxAhead, produced - consumed);
        setImmediate(cb);
      },
    });
    await pipeline(source, new RowEncoder(table, mappings), sink);
    expect(consumed).toBe(20000);
    // the producer never ran far ahead of the consumer
    expect(maxAhead).toBeLessThan(10000);
  });

  it('fails permanently naming table and column for values PostgreSQL cannot hold', async () => {
    const { mappings } = selectList(table);
    const p = pipeline(Readable.from([[1, 'bad\0value', null, null]]), new RowEncoder(table, mappings), new Writable({ write(_c, _e, cb) { cb(); } }));
    await expect(p).rejects.toThrow(/table dbo\.T, column Name: .*NUL/);
    await p.catch((e) => expect(e).toBeInstanceOf(PermanentError));
  });
});
