import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateExpression, likeToRegex, stripOuterParens, type ExprColumn, type ExprPurpose } from '../../src/engines/mssql/expressionTranslator';
import { mapMsType, parseMsType } from '../../src/engines/mssql/typeMapping';
import { createScratchDb } from './pgScratch';

const col = (targetName: string, type: string): ExprColumn => ({ targetName, mapping: mapMsType(parseMsType(type)) });
const columns = new Map<string, ExprColumn>([
  ['qty', col('Qty', 'int')],
  ['price', col('Price', 'money')],
  ['isactive', col('IsActive', 'bit')],
  ['email', col('Email', 'nvarchar(100)')],
  ['firstname', col('FirstName', 'nvarchar(50)')],
  ['lastname', col('LastName', 'nvarchar(50)')],
  ['orderdate', col('OrderDate', 'datetime')],
  ['shipdate', col('ShipDate', 'datetime2(7)')],
  ['code', col('Code', 'char(4)')],
  ['user', col('user', 'int')],
  ['data', col('Data', 'varbinary(max)')],
]);

const dflt = (type: string) => ({ purpose: 'default' as ExprPurpose, columns, target: mapMsType(parseMsType(type)) });
const check = { purpose: 'check' as ExprPurpose, columns };
const computed = (type: string) => ({ purpose: 'computed' as ExprPurpose, columns, target: mapMsType(parseMsType(type)) });
const filter = { purpose: 'filter' as ExprPurpose, columns };

// [T-SQL as SQL Server stores it, column type (defaults/computed), purpose, PostgreSQL]
const translated: [string, string, 'default' | 'check' | 'computed' | 'filter', string][] = [
  ['((0))', 'int', 'default', '0'],
  ['((-1))', 'int', 'default', '-1'],
  ['((0))', 'bit', 'default', 'false'],
  ['((1))', 'bit', 'default', 'true'],
  ['(CONVERT([bit],(0)))', 'bit', 'default', 'false'],
  ["('1')", 'bit', 'default', 'true'],
  ['((12.50))', 'decimal(10,2)', 'default', '12.50'],
  ["(N'unknown')", 'nvarchar(20)', 'default', "'unknown'"],
  ["('it''s')", 'varchar(20)', 'default', "'it''s'"],
  ["('C:\\temp\\')", 'varchar(20)', 'default', "'C:\\temp\\'"],
  ['(getdate())', 'datetime', 'default', 'LOCALTIMESTAMP'],
  ['(sysdatetime())', 'datetime2(7)', 'default', 'LOCALTIMESTAMP'],
  ['(getutcdate())', 'datetime', 'default', "timezone('UTC', now())"],
  ['(sysutcdatetime())', 'datetime2(7)', 'default', "timezone('UTC', now())"],
  ['(sysdatetimeoffset())', 'datetimeoffset(7)', 'default', 'CURRENT_TIMESTAMP'],
  ['(CURRENT_TIMESTAMP)', 'datetime', 'default', 'LOCALTIMESTAMP'],
  ['(newid())', 'uniqueidentifier', 'default', 'gen_random_uuid()'],
  ['(newsequentialid())', 'uniqueidentifier', 'default', 'gen_random_uuid()'],
  ['(CONVERT([date],getdate()))', 'date', 'default', 'CAST(LOCALTIMESTAMP AS date)'],
  ["(CONVERT([datetime],'1900-01-01',(120)))", 'datetime', 'default', "CAST('1900-01-01' AS timestamp(3))"],
  ["(CAST('2000-01-01' AS datetime2))", 'datetime2(7)', 'default', "CAST('2000-01-01' AS timestamp(6))"],
  ['(suser_sname())', 'nvarchar(128)', 'default', 'CURRENT_USER'],
  ['(0x00)', 'varbinary(10)', 'default', "'\\x00'::bytea"],
  ['(NULL)', 'int', 'default', 'NULL'],
  ['([Qty]>(0))', '', 'check', '"Qty" > 0'],
  ['([Price]>=(0) AND [Price]<=(1000000))', '', 'check', '("Price" >= 0) AND ("Price" <= 1000000)'],
  ["([Email] like '%_@_%._%')", '', 'check', `"Email" LIKE '%_@_%._%' ESCAPE ''`],
  ["([Code] like '[A-Z][A-Z][0-9][0-9]')", '', 'check', `"Code" ~ '^[A-Z][A-Z][0-9][0-9]$'`],
  ["([Code] NOT like '[^0-9]%')", '', 'check', `"Code" !~ '^[^0-9].*$'`],
  ['([IsActive]=(1) OR [Qty]=(0))', '', 'check', '("IsActive" = true) OR ("Qty" = 0)'],
  ["([Code] IN ('A', 'B', N'C'))", '', 'check', `"Code" IN ('A', 'B', 'C')`],
  ['([Qty] BETWEEN (1) AND (10))', '', 'check', '"Qty" BETWEEN 1 AND 10'],
  ['([ShipDate]>=[OrderDate])', '', 'check', '"ShipDate" >= "OrderDate"'],
  ['(len([Code])=(4))', '', 'check', `length(rtrim("Code", ' ')) = 4`],
  ['(NOT [Email] IS NULL)', '', 'check', 'NOT ("Email" IS NULL)'],
  ['([user]<>(0))', '', 'check', '"user" <> 0'],
  ['(datalength([Data])<=(100))', '', 'check', 'octet_length("Data") <= 100'],
  ['([Qty]*[Price])', 'money', 'computed', '"Qty" * "Price"'],
  ['(([FirstName]+N\' \')+[LastName])', 'nvarchar(101)', 'computed', `("FirstName" || ' ') || "LastName"`],
  ['(isnull([Qty],(0))+(1))', 'int', 'computed', 'COALESCE("Qty", 0) + 1'],
  ['(upper([Code]))', 'char(4)', 'computed', 'upper("Code")'],
  ['(case when [Qty]>(10) then N\'big\' else N\'small\' end)', 'nvarchar(5)', 'computed', `CASE WHEN ("Qty" > 10) THEN 'big' ELSE 'small' END`],
  ['(substring([Email],(1),(3)))', 'nvarchar(3)', 'computed', 'substr("Email", 1, 3)'],
  ['(year([OrderDate]))', 'int', 'computed', 'CAST(EXTRACT(YEAR FROM "OrderDate") AS integer)'],
  ['(dateadd(day,(7),[OrderDate]))', 'datetime', 'computed', `"OrderDate" + 7 * INTERVAL '1 day'`],
  ['([IsActive]=(1))', '', 'filter', '"IsActive" = true'],
  ['([Email] IS NOT NULL)', '', 'filter', '"Email" IS NOT NULL'],
];

const ctxFor = (purpose: string, type: string) =>
  purpose === 'default' ? dflt(type) : purpose === 'computed' ? computed(type) : purpose === 'check' ? check : filter;

describe('T-SQL expression translation', () => {
  it.each(translated)('%s (%s %s) -> %s', (tsql, type, purpose, pg) => {
    expect(translateExpression(tsql, ctxFor(purpose, type)).sql).toBe(pg);
  });

  const untranslatable: [string, string, 'default' | 'check' | 'computed' | 'filter', RegExp][] = [
    ['(host_name())', 'nvarchar(128)', 'default', /host_name/],
    ['(NEXT VALUE FOR [dbo].[OrderSeq])', 'int', 'default', /sequences are not migrated/],
    ['(getdate())', 'datetime', 'computed', /not immutable/],
    ['(CONVERT([varchar](10),[OrderDate],(112)))', 'varchar(10)', 'computed', /not immutable/],
    ['(CONVERT([varchar](10),[OrderDate],(103)))', 'varchar(10)', 'default', /CONVERT style/],
    ['(datediff(month,[OrderDate],getdate()))', 'int', 'computed', /datediff/],
    ['([dbo].[fn_Total]([Qty]))', 'int', 'computed', /fn_total/i],
    ['([NoSuchColumn]>(0))', '', 'check', /unknown column/],
    ['([Qty] > ', '', 'check', /cannot parse/],
  ];
  it.each(untranslatable)('reports %s (%s %s)', (tsql, type, purpose, why) => {
    expect(() => translateExpression(tsql, ctxFor(purpose, type))).toThrow(why);
  });

  it('notes semantic differences', () => {
    expect(translateExpression('(newsequentialid())', dflt('uniqueidentifier')).notes.join()).toMatch(/not sequential/);
    expect(translateExpression('(getdate())', dflt('datetime')).notes.join()).toMatch(/session time zone/);
  });

  it('converts LIKE classes to anchored regexes', () => {
    expect(likeToRegex('a.b%[!]_')).toBe('^a\\.b.*[!].$');
    expect(stripOuterParens('((0))')).toBe('0');
    expect(stripOuterParens('(a) + (b)')).toBe('(a) + (b)');
  });
});

describe('translated expressions are accepted by PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createScratchDb>>;
  beforeAll(async () => {
    db = await createScratchDb('expr');
    const defs = [...columns.values()].map((c) => `"${c.targetName}" ${c.mapping.targetType}`).join(', ');
    await db.client.query(`CREATE TABLE t (${defs})`);
  });
  afterAll(async () => { await db?.drop(); });

  it('as defaults, checks, generated columns and partial-index predicates', async () => {
    let i = 0;
    for (const [tsql, type, purpose] of translated) {
      const sql = translateExpression(tsql, ctxFor(purpose, type)).sql;
      const target = type ? mapMsType(parseMsType(type)).targetType : '';
      i++;
      const stmt = purpose === 'default' ? `ALTER TABLE t ADD COLUMN d${i} ${target} DEFAULT ${sql}`
        : purpose === 'computed' ? `ALTER TABLE t ADD COLUMN g${i} ${target} GENERATED ALWAYS AS (${sql}) STORED`
        : purpose === 'check' ? `ALTER TABLE t ADD CONSTRAINT c${i} CHECK (${sql})`
        : `CREATE INDEX i${i} ON t ("Qty") WHERE ${sql}`;
      await expect(db.client.query(stmt), `${tsql} -> ${stmt}`).resolves.toBeDefined();
    }
    // The defaults and generated expressions evaluate (the checks above contradict each other on purpose).
    for (let j = 1; j <= i; j++) await db.client.query(`ALTER TABLE t DROP CONSTRAINT IF EXISTS c${j}`);
    await db.client.query(`INSERT INTO t ("Qty", "Price", "Code", "Email", "OrderDate", "ShipDate", "Data") VALUES (5, 2, 'AB12', 'a@b.cd', '2020-01-01', '2020-01-02', '\\x00')`);
    const r = await db.client.query(`SELECT "g${translated.findIndex((x) => x[0] === '([Qty]*[Price])') + 1}"::text AS total FROM t`);
    expect(r.rows[0].total).toBe('10.0000');
  });
});
