import { describe, expect, it } from 'vitest';
import {
  dropDatabaseSql, fileListOnlySql, movedFileName, percentFromMessage, restoreDatabaseSql, runningRestoreSql, serverBackupPath, validateDatabaseName, type BackupFile,
} from '../../src/engines/mssql/backupRestore';
import { mssqlConfig } from '../../src/engines/mssql/connection';
import { MssqlSourceEngine } from '../../src/engines/mssql/source';
import { PermanentError } from '../../src/contract/failures';
import { isUnreachable } from '../../src/activities/activityContext';
import type { ServerConfig } from '../../src/config/configSchema';

const files: BackupFile[] = [
  { logicalName: 'Hotel_Data', physicalName: 'D:\\SQL\\Hotel.mdf', type: 'D', fileId: 1 },
  { logicalName: 'Hotel_Log', physicalName: 'D:\\SQL\\Hotel_log.ldf', type: 'L', fileId: 2 },
  { logicalName: "Hotel's Archive", physicalName: 'D:\\SQL\\Hotel2.ndf', type: 'D', fileId: 3 },
];

describe('restore statements', () => {
  it('lists files of a backup', () => {
    expect(fileListOnlySql("/var/opt/mssql/backup/t1/it's.bak")).toBe("RESTORE FILELISTONLY FROM DISK = N'/var/opt/mssql/backup/t1/it''s.bak'");
  });

  it('moves every logical file under a per-tenant name, replaces, reports progress', () => {
    expect(restoreDatabaseSql('tmig_t42', '/backups/t42/x.bak', files, '/var/opt/mssql/data')).toBe(
      "RESTORE DATABASE [tmig_t42] FROM DISK = N'/backups/t42/x.bak' WITH "
      + "MOVE N'Hotel_Data' TO N'/var/opt/mssql/data/tmig_t42_Hotel_Data.mdf', "
      + "MOVE N'Hotel_Log' TO N'/var/opt/mssql/data/tmig_t42_Hotel_Log.ldf', "
      + "MOVE N'Hotel''s Archive' TO N'/var/opt/mssql/data/tmig_t42_Hotel_s_Archive.ndf', REPLACE, STATS = 5");
  });

  it('finds a restore of the same database still running (an earlier attempt) before REPLACE', () => {
    // The text the earlier attempt runs starts with exactly this; [ is escaped for LIKE.
    expect(restoreDatabaseSql('tmig_t42', '/b.bak', files, '/d')).toMatch(/^RESTORE DATABASE \[tmig_t42\] /);
    expect(runningRestoreSql('tmig_t42')).toBe("SELECT r.session_id, r.percent_complete FROM sys.dm_exec_requests r CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) t "
      + "WHERE r.session_id <> @@SPID AND r.command LIKE 'RESTORE%' AND t.text LIKE N'%RESTORE DATABASE [[]tmig_t42] %'");
    expect(() => runningRestoreSql("x'; DROP DATABASE y; --")).toThrow(/use letters, digits/);
  });

  it('uses Windows paths for Windows data directories', () => {
    expect(movedFileName('t1', files[0], 'D:\\Data')).toBe('D:\\Data\\t1_Hotel_Data.mdf');
  });

  it('refuses unsafe database names and empty file lists', () => {
    expect(() => validateDatabaseName('x]; DROP DATABASE y--')).toThrow(/letters, digits/);
    expect(() => restoreDatabaseSql('ok', '/b.bak', [], '/d')).toThrow(/lists no files/);
  });

  it('drops only an existing database, kicking sessions out', () => {
    expect(dropDatabaseSql('tmig_t42')).toBe("IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'tmig_t42' AND state_desc = 'ONLINE') "
      + "ALTER DATABASE [tmig_t42] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; IF DB_ID(N'tmig_t42') IS NOT NULL DROP DATABASE [tmig_t42]");
  });

  it.each([
    ['5 percent processed.', 5],
    ['100 percent processed.', 100],
    ['Processed 464 pages for database', null],
    ['RESTORE DATABASE successfully processed 466 pages in 0.051 seconds (71.277 MB/sec).', null],
  ])('progress from %j', (msg, pct) => expect(percentFromMessage(msg)).toBe(pct));

  it('maps worker paths to server paths through the shared backup volume', () => {
    const server = { backupDir: { worker: '/srv/tmig/backups', server: '/var/opt/mssql/backup' } };
    expect(serverBackupPath(server, '/srv/tmig/backups/t1/db.bak')).toBe('/var/opt/mssql/backup/t1/db.bak');
    expect(serverBackupPath({ backupDir: { worker: '/srv/b', server: 'E:\\Backups' } }, '/srv/b/t1/db.bak')).toBe('E:\\Backups\\t1\\db.bak');
    expect(() => serverBackupPath(server, '/etc/passwd')).toThrow(/not under the shared backup directory/);
    expect(serverBackupPath({}, '/x/y.bak')).toBe('/x/y.bak');
  });
});

describe('connection settings', () => {
  const server: ServerConfig = { kind: 'mssql', url: 'mssql://migrator@sql1.example:14330/master?encrypt=false&trustServerCertificate=true', passwordEnv: 'TMIG_TEST_MSSQL_PW', maxConcurrency: 4 };

  it('come from the server url, the password from passwordEnv', () => {
    process.env.TMIG_TEST_MSSQL_PW = 'p@ss:w/rd';
    const c = mssqlConfig('sql1', server, 'Hotel 123');
    expect(c).toMatchObject({ server: 'sql1.example', port: 14330, user: 'migrator', password: 'p@ss:w/rd', database: 'Hotel 123' });
    expect(c.options).toMatchObject({ encrypt: false, trustServerCertificate: true, useUTC: true });
  });

  it('fail clearly when the password variable is missing or the url is not mssql://', () => {
    delete process.env.TMIG_TEST_MSSQL_PW;
    expect(() => mssqlConfig('sql1', server, 'db')).toThrow(/TMIG_TEST_MSSQL_PW/);
    expect(() => mssqlConfig('pg', { ...server, passwordEnv: undefined, url: 'postgres://x@h/db' }, 'db')).toThrow(/mssql:\/\//);
  });

  it('an unreachable server is a transient, unreachable error (retried), not a permanent one', async () => {
    const engine = new MssqlSourceEngine({ serverName: 'nowhere', database: 'db',
      server: { kind: 'mssql', url: 'mssql://sa@127.0.0.1:1/master?encrypt=false&connectTimeout=2000', maxConcurrency: 1 } });
    const err = await engine.describe().then(() => null, (e: unknown) => e);
    expect(err).not.toBeNull();
    expect(err).not.toBeInstanceOf(PermanentError);
    expect(isUnreachable(err)).toBe(true);
    await engine.close();
  });
});
