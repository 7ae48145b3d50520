import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type sql from 'mssql';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { auditSource } from '../../src/audit/auditSource';
import { configSchema, type ServerConfig } from '../../src/config/configSchema';
import type { SchemaModel } from '../../src/engines/schemaModel';
import type { AuditCheckSpec } from '../../src/contract/migration';
import { createDatabaseFromScript, dropDatabase, isBabelfish, mssqlAdminPool, mssqlServerConfig, mssqlUrlOrSkip } from '../helpers/mssqlEndpoint';

/** The audit against the TDS endpoint (Babelfish from test/globalSetup.ts, or a SQL Server in MSSQL_URL). */
const MSSQL_URL = mssqlUrlOrSkip('SQL Server audit suite (test/audit/mssqlAudit.test.ts)');

const DB = `tmig_audit_ms_${process.pid}`;
const PW_ENV = 'TMIG_AUDIT_MSSQL_PASSWORD';

const FIXTURE = `
CREATE TABLE dbo.Customers (Id int IDENTITY(1,1) NOT NULL CONSTRAINT PK_Customers PRIMARY KEY, Email nvarchar(200) NULL,
  UserName nvarchar(50) NOT NULL, CreatedAt date NOT NULL);
INSERT INTO dbo.Customers (Email, UserName, CreatedAt) VALUES
  (N'a@example.com', N'ann', '2020-01-01'), (NULL, N'bob', '2020-01-02'), (N'c@example.com', N'cid', DATEADD(day, 30, CAST(SYSDATETIME() AS date))),
  (N'd@example.com', N'cid', '2020-01-04'), (N'e@example.com', N'eve', '9999-12-31');
CREATE TABLE dbo.Orders (Id int NOT NULL CONSTRAINT PK_Orders PRIMARY KEY, CustomerId int NULL);
INSERT INTO dbo.Orders VALUES (1, 1), (2, 999), (3, NULL), (4, 998);
ALTER TABLE dbo.Orders WITH NOCHECK ADD CONSTRAINT FK_Orders_Customers FOREIGN KEY (CustomerId) REFERENCES dbo.Customers (Id);
CREATE TABLE dbo.EventLog (At datetime2(0) NOT NULL, Msg nvarchar(100) NULL);
INSERT INTO dbo.EventLog VALUES ('2024-01-01T00:00:00', N'a'), ('2024-01-01T00:01:00', N'b'), ('2024-01-01T00:02:00', N'c');
CREATE TABLE dbo.Counters (Id tinyint IDENTITY(250, 1) NOT NULL CONSTRAINT PK_Counters PRIMARY KEY, Label nvarchar(10) NULL);
INSERT INTO dbo.Counters (Label) VALUES (N'x'), (N'y');
`;

const CHECKS: AuditCheckSpec[] = [
  { table: 'dbo.Customers', column: 'Email', check: 'notNull' },
  { table: 'Customers', column: 'CreatedAt', check: 'range', max: 'now', policy: 'block' },
  { table: 'Customers', column: 'UserName', check: 'unique' },
  { table: 'Orders', column: 'Id', check: 'range', min: 1, max: 4 },
  // No regex operator in T-SQL: matched in the worker.
  { table: 'Customers', column: 'Email', check: 'pattern', pattern: '^[a-c]@example\\.com$' },
  { table: 'Orders', column: 'CustomerId', check: 'references', references: { table: 'Customers', column: 'Id' } },
];

/** Babelfish refuses `WITH NOCHECK ADD CONSTRAINT`: no untrusted FK there, so its orphans are found by the declared check only. */
const UNTRUSTED_FK = 'ALTER TABLE dbo.Orders WITH NOCHECK ADD CONSTRAINT FK_Orders_Customers FOREIGN KEY (CustomerId) REFERENCES dbo.Customers (Id);';

describe.skipIf(!MSSQL_URL)('pre-migration audit against SQL Server (MSSQL_URL)', () => {
  let admin: sql.ConnectionPool;
  let engine: MssqlSourceEngine;
  let model: SchemaModel;
  let server: ServerConfig;
  let babelfish = false;

  beforeAll(async () => {
    admin = await mssqlAdminPool();
    babelfish = await isBabelfish(admin);
    await createDatabaseFromScript(admin, DB, babelfish ? FIXTURE.replace(UNTRUSTED_FK, '') : FIXTURE);
    server = mssqlServerConfig(PW_ENV, { maxConcurrency: 2 });
    engine = new MssqlSourceEngine({ serverName: 'ms', server, database: DB });
    model = await engine.describe();
  });
  afterAll(async () => {
    await engine?.close();
    if (admin) await dropDatabase(admin, DB).catch(() => undefined);
    await admin?.close();
  });

  it('finds the planted problems through the engine model and a server reference', async () => {
    const config = configSchema.parse({ servers: { ms: server } });
    const result = await auditSource(config, { server: 'ms', database: DB }, model, CHECKS);
    const got = result.findings.map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''} count=${f.count} ${f.policy} [${f.sampleKeys.join('|')}]`).sort();
    // Babelfish creates a tinyint IDENTITY column as smallint (its catalog says so): 251 is far from its maximum there.
    expect(model.tables.find((t) => t.name === 'Counters')!.columns[0].sourceType).toBe(babelfish ? 'smallint' : 'tinyint');
    expect(got).toEqual([
      ...(babelfish ? [] : ['identityOverflow dbo.Counters.Id count=1 warn []']),
      'noKey dbo.EventLog count=3 warn []',
      'notNull dbo.Customers.Email count=1 warn [Id=2]',
      ...(babelfish ? [] : ['orphans dbo.Orders.CustomerId count=2 warn [Id=2|Id=4]']),
      'pattern dbo.Customers.Email count=2 warn [Id=4|Id=5]',
      'range dbo.Customers.CreatedAt count=2 block [Id=3|Id=5]',
      'references dbo.Orders.CustomerId count=2 warn [Id=2|Id=4]',
      'unique dbo.Customers.UserName count=2 warn [Id=3|Id=4]',
    ]);
    expect(result.blocked).toBe(true);
  });
});
