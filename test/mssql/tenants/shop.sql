-- Tenant "shop": GUID key with newsequentialid(), persisted computed column, a char key, xml,
-- datetimeoffset and datetime2(7) values, a disabled-free FK chain, an index with INCLUDE and a filter.
CREATE TABLE dbo.Category (
  Code char(4) NOT NULL CONSTRAINT PK_Category PRIMARY KEY,
  Title nvarchar(100) NOT NULL
);
CREATE TABLE dbo.Product (
  ProductId uniqueidentifier NOT NULL CONSTRAINT PK_Product PRIMARY KEY CONSTRAINT DF_Product_Id DEFAULT (newsequentialid()),
  Sku varchar(20) NOT NULL CONSTRAINT UQ_Product_Sku UNIQUE,
  Category char(4) NOT NULL CONSTRAINT FK_Product_Category REFERENCES dbo.Category (Code),
  Price decimal(12,2) NOT NULL,
  Qty int NOT NULL CONSTRAINT DF_Product_Qty DEFAULT ((0)),
  Stock AS (Price * Qty) PERSISTED,
  Spec xml NULL,
  UpdatedAt datetime2(7) NOT NULL,
  CONSTRAINT CK_Product_Price CHECK (Price >= 0 AND Qty >= 0)
);
CREATE INDEX IX_Product_Category ON dbo.Product (Category, Price DESC) INCLUDE (Sku) WHERE Qty > 0;
CREATE TABLE dbo.PriceHistory (
  Id bigint IDENTITY(1,1) NOT NULL CONSTRAINT PK_PriceHistory PRIMARY KEY,
  ProductId uniqueidentifier NOT NULL CONSTRAINT FK_PriceHistory_Product REFERENCES dbo.Product (ProductId),
  ValidFrom datetimeoffset(3) NOT NULL,
  Price decimal(12,2) NOT NULL
);
GO
INSERT INTO dbo.Category (Code, Title) VALUES ('BOOK', N'Books'), ('TOY', N'Toys & games'), ('FOOD', N'Food'), ('Misc', N'Miscellaneous – other');
WITH n AS (SELECT TOP (800) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO dbo.Product (ProductId, Sku, Category, Price, Qty, Spec, UpdatedAt)
SELECT NEWID(), 'SKU-' + RIGHT('00000' + CAST(k AS varchar(10)), 5), CASE k % 4 WHEN 0 THEN 'BOOK' WHEN 1 THEN 'TOY' WHEN 2 THEN 'FOOD' ELSE 'Misc' END,
  k * 0.37, k % 6, CASE WHEN k % 5 = 0 THEN NULL ELSE CAST(N'<spec id="' + CAST(k AS nvarchar(10)) + N'"><w>' + CAST(k % 9 AS nvarchar(5)) + N'</w></spec>' AS xml) END,
  DATEADD(second, k * 61, CAST('2025-05-05T05:05:05.1234567' AS datetime2(7)))
FROM n;
INSERT INTO dbo.PriceHistory (ProductId, ValidFrom, Price)
SELECT p.ProductId, TODATETIMEOFFSET(DATEADD(day, -d.d, CAST('2025-01-01T12:00:00.123' AS datetime2(3))), '+01:00'), p.Price + d.d
FROM dbo.Product p CROSS JOIN (VALUES (1), (2)) AS d(d);
