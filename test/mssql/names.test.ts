import { describe, expect, it } from 'vitest';
import { NameAllocator, pgIdent, pgQualified, shortenIdentifier, targetIdentifier, targetSchemaName, msIdent } from '../../src/engines/mssql/identifiers';

describe('identifier quoting', () => {
  it.each([
    ['Order', '"Order"'],
    ['user', '"user"'],
    ['Mixed Case', '"Mixed Case"'],
    ['quote"inside', '"quote""inside"'],
    ['Ünïcödé', '"Ünïcödé"'],
  ])('%s -> %s', (name, quoted) => expect(pgIdent(name)).toBe(quoted));

  it('quotes qualified names and T-SQL brackets', () => {
    expect(pgQualified('Sales', 'Order Details')).toBe('"Sales"."Order Details"');
    expect(msIdent('a]b')).toBe('[a]]b]');
  });
});

describe('shortening past 63 bytes', () => {
  const long = 'IX_' + 'VeryLongColumnName'.repeat(5);
  it('keeps short names as they are', () => expect(shortenIdentifier('Orders')).toBe('Orders'));
  it('shortens deterministically to at most 63 bytes', () => {
    const a = shortenIdentifier(long);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).toBe(shortenIdentifier(long));
    expect(a).toMatch(/^IX_VeryLong.*_[0-9a-f]{8}$/);
  });
  it('gives different names to names sharing a long prefix', () => {
    expect(shortenIdentifier(long + 'A')).not.toBe(shortenIdentifier(long + 'B'));
  });
  it('cuts multi-byte names on a character boundary', () => {
    const s = shortenIdentifier('é'.repeat(40));
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(63);
    expect(s).toMatch(/^é+_[0-9a-f]{8}$/);
  });
  it('exactly 63 bytes stays', () => expect(shortenIdentifier('x'.repeat(63))).toBe('x'.repeat(63)));
});

describe('target names', () => {
  it('lower-cases on request', () => {
    expect(targetIdentifier('OrderID', { lowerCaseNames: true })).toBe('orderid');
    expect(targetIdentifier('OrderID', {})).toBe('OrderID');
  });
  it('maps dbo to the configured schema', () => {
    expect(targetSchemaName('dbo', {})).toBe('public');
    expect(targetSchemaName('dbo', { dboSchema: 'app' })).toBe('app');
    expect(targetSchemaName('Sales', { lowerCaseNames: true })).toBe('sales');
  });
  it('allocates unique relation names', () => {
    const a = new NameAllocator();
    a.reserve('Orders');
    expect(a.allocate('IX_Name', 'Orders')).toBe('IX_Name');
    expect(a.allocate('IX_Name', 'Customers')).toBe('Customers_IX_Name');
    expect(a.allocate('Orders', 'Sales')).toBe('Sales_Orders');
  });
});
