import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreFromScript, scriptBatches, scriptDoubleBackup } from '../../src/engines/mssql/scriptRestoreDouble';
import { mssqlServerSchema } from '../../src/engines/mssql/serverConfig';
import { FailureType, PermanentError } from '../../src/contract/failures';

/** The restore double's own rules (its run against a server is test/mssql/intakeChain.test.ts). */
describe('scriptRestoreDouble', () => {
  it('its stand-in backup starts with the media magic that staging checks, then the script', () => {
    const bak = scriptDoubleBackup('CREATE TABLE t (a int)\nGO\n');
    expect(bak.subarray(0, 4).toString('latin1')).toBe('TAPE');
    expect(bak.subarray(4).toString('utf8')).toBe('\nCREATE TABLE t (a int)\nGO\n');
  });

  it('splits a script on GO lines only', () => {
    expect(scriptBatches('CREATE TABLE go_on (a int)\n  go  \nINSERT INTO go_on VALUES (1)\nGO\n\n')).toEqual(['CREATE TABLE go_on (a int)\n', '\nINSERT INTO go_on VALUES (1)\n']);
  });

  it('refuses a file that is not its stand-in, and an empty script, as NotABackup before touching a server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmig-double-'));
    writeFileSync(join(dir, 'x.bak'), 'MZ not a backup');
    writeFileSync(join(dir, 'empty.bak'), scriptDoubleBackup('\nGO\n'));
    const server = { kind: 'mssql', url: 'mssql://sa@127.0.0.1:1/master', restore: 'scriptRestoreDouble' as const };
    for (const f of ['x.bak', 'empty.bak']) {
      const err = await restoreFromScript({ serverName: 'ms', server, database: 'tmig_t1', backupPath: join(dir, f) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).type).toBe(FailureType.NotABackup);
      expect((err as Error).message).toContain(f);
    }
  });

  it('is chosen per server in the config; the default is the real RESTORE path', () => {
    const base = { kind: 'mssql', url: 'mssql://sa@h/master' };
    expect(mssqlServerSchema.parse(base).restore).toBeUndefined();
    expect(mssqlServerSchema.parse({ ...base, restore: 'scriptRestoreDouble' }).restore).toBe('scriptRestoreDouble');
    expect(() => mssqlServerSchema.parse({ ...base, restore: 'magic' })).toThrow();
  });
});
