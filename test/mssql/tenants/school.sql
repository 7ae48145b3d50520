-- Tenant "school": case-sensitive and reserved names (schema, tables, columns), sql_variant,
-- bigint identity, composite keys, a varchar key, defaults, checks, a unique filtered index.
CREATE SCHEMA [Academic];
GO
CREATE TABLE [Academic].[Group] (
  [GroupId] bigint IDENTITY(1000, 10) NOT NULL CONSTRAINT [PK_Group] PRIMARY KEY,
  [Select] nvarchar(40) NOT NULL,
  [From] date NULL,
  [MixedCase Name] nvarchar(60) NULL,
  [Order] int NOT NULL CONSTRAINT [DF_Group_Order] DEFAULT ((1)),
  CONSTRAINT [CK_Group_Order] CHECK ([Order] >= 0)
);
CREATE UNIQUE INDEX [UX_Group_Select] ON [Academic].[Group] ([Select]) WHERE [From] IS NOT NULL;
CREATE TABLE [Academic].[User] (
  [Login] varchar(30) NOT NULL CONSTRAINT [PK_User] PRIMARY KEY,
  [GroupId] bigint NULL CONSTRAINT [FK_User_Group] REFERENCES [Academic].[Group] ([GroupId]),
  [Extra] sql_variant NULL,
  [Key] nvarchar(20) NULL,
  [Score] float NULL,
  [Ratio] real NULL
);
CREATE INDEX [IX_User_Group] ON [Academic].[User] ([GroupId] DESC) INCLUDE ([Key]);
CREATE TABLE dbo.[Order] (
  [Year] smallint NOT NULL,
  [No] int NOT NULL,
  [Table] nvarchar(20) NOT NULL,
  [When] datetime NOT NULL CONSTRAINT [DF_Order_When] DEFAULT (getdate()),
  [Amount] smallmoney NULL,
  CONSTRAINT [PK_Order] PRIMARY KEY ([Year], [No])
);
GO
WITH n AS (SELECT TOP (120) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO [Academic].[Group] ([Select], [From], [MixedCase Name], [Order])
SELECT N'group ' + CAST(k AS nvarchar(10)), CASE WHEN k % 4 = 0 THEN NULL ELSE DATEADD(day, k, CAST('2023-09-01' AS date)) END,
  CASE WHEN k % 3 = 0 THEN NULL ELSE N'Name "' + CAST(k AS nvarchar(10)) + N'"' END, k % 9
FROM n;
WITH n AS (SELECT TOP (700) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO [Academic].[User] ([Login], [GroupId], [Extra], [Key], [Score], [Ratio])
SELECT CASE k % 3 WHEN 0 THEN 'user' WHEN 1 THEN 'User' ELSE 'USER_' END + CAST(k AS varchar(10)),
  CASE WHEN k % 11 = 0 THEN NULL ELSE 1000 + 10 * (k % 120) END,
  CASE k % 4 WHEN 0 THEN CAST(k AS sql_variant) WHEN 1 THEN CAST(N'text ' + CAST(k AS nvarchar(10)) AS sql_variant) WHEN 2 THEN CAST(CAST(k / 7.0 AS decimal(12,4)) AS sql_variant) ELSE NULL END,
  CASE WHEN k % 2 = 0 THEN N'k' + CAST(k AS nvarchar(10)) ELSE NULL END,
  k / 3.0E0, CAST(k AS real) / 7
FROM n;
WITH n AS (SELECT TOP (500) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO dbo.[Order] ([Year], [No], [Table], [When], [Amount])
SELECT 2020 + k % 5, k, N'T' + CAST(k % 13 AS nvarchar(5)), DATEADD(minute, k * 37, CAST('2024-02-29T23:00:00.997' AS datetime)), CAST(k * 1.5 AS smallmoney)
FROM n;
