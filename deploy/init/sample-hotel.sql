-- Sample tenant for the compose stack: a small hotel database on SQL Server, created by the
-- init service (src/demo/composeSeed.ts), which then backs it up, zips the .bak and uploads it.
-- Idempotent: re-running drops and recreates the database.
IF DB_ID(N'tmig_sample') IS NOT NULL
BEGIN
  ALTER DATABASE tmig_sample SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
  DROP DATABASE tmig_sample;
END
GO
CREATE DATABASE tmig_sample;
GO
USE tmig_sample;
GO
CREATE TABLE dbo.Guests (
  GuestId int IDENTITY(1,1) NOT NULL CONSTRAINT PK_Guests PRIMARY KEY,
  Email nvarchar(200) NOT NULL CONSTRAINT UQ_Guests_Email UNIQUE,
  FullName nvarchar(200) NOT NULL,
  Vip bit NOT NULL CONSTRAINT DF_Guests_Vip DEFAULT (0),
  CreatedAt datetime2(7) NOT NULL CONSTRAINT DF_Guests_CreatedAt DEFAULT (sysutcdatetime()),
  ExternalRef uniqueidentifier NOT NULL CONSTRAINT DF_Guests_ExternalRef DEFAULT (newid())
);
CREATE TABLE dbo.Rooms (
  HotelCode char(3) NOT NULL,
  RoomNo int NOT NULL,
  Kind nvarchar(40) NOT NULL,
  Rate money NOT NULL CONSTRAINT CK_Rooms_Rate CHECK (Rate >= 0),
  CONSTRAINT PK_Rooms PRIMARY KEY (HotelCode, RoomNo)
);
CREATE TABLE dbo.Bookings (
  BookingId bigint IDENTITY(1,1) NOT NULL CONSTRAINT PK_Bookings PRIMARY KEY,
  GuestId int NOT NULL CONSTRAINT FK_Bookings_Guests REFERENCES dbo.Guests (GuestId),
  HotelCode char(3) NOT NULL,
  RoomNo int NOT NULL,
  CheckIn date NOT NULL,
  Nights tinyint NOT NULL,
  Amount decimal(14,4) NOT NULL,
  BookedAt datetimeoffset(3) NOT NULL,
  Notes nvarchar(max) NULL,
  CONSTRAINT FK_Bookings_Rooms FOREIGN KEY (HotelCode, RoomNo) REFERENCES dbo.Rooms (HotelCode, RoomNo)
);
CREATE INDEX IX_Bookings_Guest ON dbo.Bookings (GuestId) INCLUDE (CheckIn);
GO
INSERT INTO dbo.Rooms (HotelCode, RoomNo, Kind, Rate)
SELECT h.code, n.n, CASE WHEN n.n % 10 = 0 THEN N'suite' ELSE N'double' END, 80 + n.n % 7 * 12.5
FROM (VALUES ('AMS'), ('BER'), ('LIS')) AS h(code)
CROSS JOIN (SELECT TOP (40) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS n FROM sys.all_objects) AS n;
GO
INSERT INTO dbo.Guests (Email, FullName, Vip)
SELECT CONCAT(N'guest', n, N'@example.com'), CONCAT(N'Guest ', n, CASE WHEN n % 13 = 0 THEN N' Ünïcødé' ELSE N'' END), CASE WHEN n % 17 = 0 THEN 1 ELSE 0 END
FROM (SELECT TOP (2000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS n FROM sys.all_objects a CROSS JOIN sys.all_objects b) AS s;
GO
INSERT INTO dbo.Bookings (GuestId, HotelCode, RoomNo, CheckIn, Nights, Amount, BookedAt, Notes)
SELECT 1 + n % 2000, CASE n % 3 WHEN 0 THEN 'AMS' WHEN 1 THEN 'BER' ELSE 'LIS' END, 1 + n % 40,
  DATEADD(day, n % 700, '2025-01-01'), 1 + n % 9, CAST(n % 997 AS decimal(14,4)) * 1.2345,
  TODATETIMEOFFSET(DATEADD(minute, n, '2024-06-01T08:00:00'), '+02:00'),
  CASE WHEN n % 5 = 0 THEN NULL ELSE CONCAT(N'note ', n, NCHAR(9), N'tab') END
FROM (SELECT TOP (10000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS n FROM sys.all_objects a CROSS JOIN sys.all_objects b) AS s;
GO
