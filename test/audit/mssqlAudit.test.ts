import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sql from 'mssql';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { auditSource } from '../../src/audit/auditSource';
import { configSchema, type ServerConfig } from '../../src/config/configSchema';
import type { SchemaModel } from '../../src/engines/schemaModel';
import type { AuditCheckSpec } from '../../src/contract/migration';

/**
 * The audit against a real SQL Server, when MSSQL_URL is set, e.g.
 *   MSSQL_URL='mssql://sa:Str0ng!Passw0rd@127.0.0.1:1433/master?encrypt=false&trustServerCertificate=true'
 */
const MSSQL_URL = process.env.MSSQL_URL;
if (!MSSQL_URL) {
  console.warn('\n*** SKIPPED: SQL Server audit suite (test/audit/mssqlAudit.test.ts): set MSSQL_URL=mssql://user:password@host:1433/master?encrypt=false&trustServerCertificate=true to run it ***\n');
}

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
];

describe.skipIf(!MSSQL_URL)('pre-migration audit against SQL Server (MSSQL_URL)', () => {
  let admin: sql.ConnectionPool;
  let engine: MssqlSourceEngine;
  let model: SchemaModel;
  let server: ServerConfig;

  beforeAll(async () => {
    const url = new URL(MSSQL_URL!);
    admin = new sql.ConnectionPool({
      server: url.hostname, port: Number(url.port || 1433), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
      database: 'master', options: { encrypt: url.searchParams.get('encrypt') !== 'false', trustServerCertificate: url.searchParams.get('trustServerCertificate') === 'true' },
    });
    await admin.connect();
    await admin.request().batch(`IF DB_ID('${DB}') IS NOT NULL BEGIN ALTER DATABASE [${DB}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${DB}]; END; CREATE DATABASE [${DB}]`);
    await admin.request().batch(`USE [${DB}]; ${FIXTURE}`);
    process.env[PW_ENV] = decodeURIComponent(url.password);
    url.password = '';
    server = { kind: 'mssql', url: url.toString(), passwordEnv: PW_ENV, maxConcurrency: 2 };
    engine = new MssqlSourceEngine({ serverName: 'ms', server, database: DB });
    model = await engine.describe();
  });
  afterAll(async () => {
    await engine?.close();
    await admin?.request().batch(`USE master; IF DB_ID('${DB}') IS NOT NULL BEGIN ALTER DATABASE [${DB}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${DB}]; END`).catch(() => undefined);
    await admin?.close();
  });

  it('finds the planted problems through the engine model and a server reference', async () => {
    const config = configSchema.parse({ servers: { ms: server } });
    const result = await auditSource(config, { server: 'ms', database: DB }, model, CHECKS);
    const got = result.findings.map((f) => `${f.check} ${f.table}${f.column ? '.' + f.column : ''} count=${f.count} ${f.policy} [${f.sampleKeys.join('|')}]`).sort();
    expect(got).toEqual([
      'identityOverflow dbo.Counters.Id count=1 warn []',
      'noKey dbo.EventLog count=3 warn []',
      'notNull dbo.Customers.Email count=1 warn [Id=2]',
      'orphans dbo.Orders.CustomerId count=2 warn [Id=2|Id=4]',
      'range dbo.Customers.CreatedAt count=2 block [Id=3|Id=5]',
      'unique dbo.Customers.UserName count=2 warn [Id=3|Id=4]',
    ]);
    expect(result.blocked).toBe(true);
  });
});
