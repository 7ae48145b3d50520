-- Tenant "hotel": alias type, identity, GUID and composite keys, a text key, money, datetimeoffset,
-- varbinary(max), nvarchar(max), computed columns, defaults, checks, FKs, a filtered index with INCLUDE.
CREATE TYPE dbo.Email FROM nvarchar(254) NULL;
GO
CREATE TABLE dbo.Guest (
  GuestId int IDENTITY(1,1) NOT NULL CONSTRAINT PK_Guest PRIMARY KEY,
  FirstName nvarchar(50) NOT NULL,
  LastName nvarchar(50) NOT NULL,
  Email dbo.Email,
  Balance money NOT NULL CONSTRAINT DF_Guest_Balance DEFAULT (0),
  IsVip bit NOT NULL CONSTRAINT DF_Guest_IsVip DEFAULT (0),
  CreatedAt datetime2(3) NOT NULL CONSTRAINT DF_Guest_CreatedAt DEFAULT (sysutcdatetime()),
  -- (Babelfish refuses string concatenation in computed columns: "generation expression is not immutable")
  LastNameUpper AS (UPPER(LastName)),
  CONSTRAINT CK_Guest_Balance CHECK (Balance >= 0)
);
CREATE INDEX IX_Guest_Name ON dbo.Guest (LastName, FirstName) INCLUDE (Email) WHERE Email IS NOT NULL;
CREATE TABLE dbo.Room (
  RoomNo nvarchar(10) NOT NULL CONSTRAINT PK_Room PRIMARY KEY,
  Floor smallint NOT NULL,
  Rate decimal(9,2) NOT NULL CONSTRAINT CK_Room_Rate CHECK (Rate > 0),
  Photo varbinary(max) NULL,
  Notes nvarchar(max) NULL
);
CREATE TABLE dbo.Booking (
  BookingId uniqueidentifier NOT NULL CONSTRAINT PK_Booking PRIMARY KEY CONSTRAINT DF_Booking_Id DEFAULT (newid()),
  GuestId int NOT NULL CONSTRAINT FK_Booking_Guest REFERENCES dbo.Guest (GuestId),
  RoomNo nvarchar(10) NOT NULL CONSTRAINT FK_Booking_Room REFERENCES dbo.Room (RoomNo),
  CheckIn date NOT NULL,
  CheckOut date NOT NULL,
  BookedAt datetimeoffset(7) NOT NULL,
  Total money NOT NULL,
  Nights AS (DATEDIFF(day, CheckIn, CheckOut)),
  CONSTRAINT CK_Booking_Dates CHECK (CheckOut > CheckIn)
);
CREATE INDEX IX_Booking_Guest ON dbo.Booking (GuestId) INCLUDE (CheckIn, CheckOut);
CREATE TABLE dbo.BookingNight (
  BookingId uniqueidentifier NOT NULL,
  NightDate date NOT NULL,
  Price decimal(9,2) NOT NULL,
  CONSTRAINT PK_BookingNight PRIMARY KEY (BookingId, NightDate),
  CONSTRAINT FK_Night_Booking FOREIGN KEY (BookingId) REFERENCES dbo.Booking (BookingId) ON DELETE CASCADE
);
GO
WITH n AS (SELECT TOP (400) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO dbo.Guest (FirstName, LastName, Email, Balance, IsVip, CreatedAt)
SELECT N'First' + CAST(k AS nvarchar(10)), CASE k % 3 WHEN 0 THEN N'Müller' WHEN 1 THEN N'O''Brien' ELSE N'Łukasz' END + CAST(k % 17 AS nvarchar(5)),
  CASE WHEN k % 5 = 0 THEN NULL WHEN k % 7 = 0 THEN N'not-an-email-' + CAST(k AS nvarchar(10)) ELSE N'guest' + CAST(k AS nvarchar(10)) + N'@example.com' END,
  CAST(k * 13.3751 AS money), k % 2, DATEADD(millisecond, k * 7919, CAST('2024-01-01T00:00:00' AS datetime2(3)))
FROM n;
WITH n AS (SELECT TOP (60) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO dbo.Room (RoomNo, Floor, Rate, Photo, Notes)
SELECT CASE k % 4 WHEN 0 THEN N'a' WHEN 1 THEN N'B' WHEN 2 THEN N'é' ELSE N'Z' END + RIGHT(N'000' + CAST(k AS nvarchar(10)), 3),
  k / 10, 80 + k * 1.25, CASE WHEN k % 3 = 0 THEN NULL ELSE CAST(REPLICATE(CAST(CHAR(65 + k % 26) AS varchar(max)), 3000 + k) AS varbinary(max)) END,
  CASE WHEN k % 2 = 0 THEN NULL ELSE REPLICATE(N'line ' + NCHAR(9) + N'tab \ backslash ', 200) + NCHAR(10) + N'end' END
FROM n;
WITH n AS (SELECT TOP (900) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS k FROM sys.all_columns)
INSERT INTO dbo.Booking (BookingId, GuestId, RoomNo, CheckIn, CheckOut, BookedAt, Total)
SELECT NEWID(), 1 + k % 400, (SELECT TOP (1) RoomNo FROM dbo.Room ORDER BY RoomNo) , DATEADD(day, k, CAST('2024-03-01' AS date)), DATEADD(day, k + 1 + k % 4, CAST('2024-03-01' AS date)),
  TODATETIMEOFFSET(DATEADD(second, k * 3607, CAST('2024-01-01T08:00:00.1234567' AS datetime2(7))), CASE k % 3 WHEN 0 THEN 120 WHEN 1 THEN -330 ELSE 0 END),
  CAST(k * 99.99 AS money)
FROM n;
INSERT INTO dbo.BookingNight (BookingId, NightDate, Price)
SELECT b.BookingId, DATEADD(day, d.d, b.CheckIn), 75.5 + d.d
FROM dbo.Booking b JOIN (VALUES (0), (1), (2)) AS d(d) ON DATEADD(day, d.d, b.CheckIn) < b.CheckOut;
