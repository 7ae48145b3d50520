/**
 * Bad input refused at the edge, naming the field: the worker config (strict, URLs, no passwords),
 * the manifest (type overrides, long names), options that do not apply to a source kind, CLI
 * flags; and connection settings built from parts (odd passwords and database names).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../src/config/loadConfig';
import { waveSchema } from '../../src/contract/manifestSchema';
import { formatZodError } from '../../src/contract/formatZodError';
import { openSource } from '../../src/config/openEngines';
import { connectPg, pgClientConfig, pgToolEnv } from '../../src/engines/postgres/connection';
import { buildModel } from '../../src/engines/mssql/buildModel';
import { isTargetTypeName } from '../../src/contract/typeName';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');

const server = (extra: Record<string, unknown>) => JSON.stringify({ servers: { pg: { kind: 'postgres', url: 'postgres://migrator@db1:5432/postgres', ...extra } } });
const configError = (text: string) => {
  try {
    parseConfig(text, 'cfg.json');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
};

describe('worker config', () => {
  it('refuses typos (strict), non-URLs and passwords in URLs, naming the field', () => {
    expect(configError(server({ maxConcurency: 3 }))).toMatch(/servers\.pg: Unrecognized key.*maxConcurency/);
    expect(configError(JSON.stringify({ servers: {}, workdir: '/tmp' }))).toMatch(/Unrecognized key.*workdir/);
    expect(configError(server({ url: 'db1:5432' }))).toMatch(/servers\.pg\.url: (not a URL|scheme db1: is not)/);
    // Each engine takes its own driver's schemes: a MySQL URL on a PostgreSQL server is refused.
    expect(configError(server({ url: 'mysql://migrator@db1:3306/' }))).toMatch(/servers\.pg\.url: scheme mysql: is not one of postgres:, postgresql:/);
    expect(configError(JSON.stringify({ servers: { my: { kind: 'mysql', url: 'postgres://migrator@db1/postgres' } } }))).toMatch(/servers\.my\.url: scheme postgres: is not one of mysql:/);
    expect(configError(server({ url: 'postgres://migrator:secret@db1/postgres' }))).toMatch(/servers\.pg\.url: must not contain a password.*passwordEnv/);
    expect(configError(server({ url: 'postgres://migrator@db1/postgres?password=secret' }))).toMatch(/servers\.pg\.url: must not contain a password/);
    expect(configError(JSON.stringify({ servers: { ms: { kind: 'mssql', url: 'mssql://sa@sql1:1433/master', maxRestoreConcurrency: 1 } } }))).toBeUndefined();
    expect(configError(server({ maxRestoreConcurrency: 1 }))).toMatch(/servers\.pg: Unrecognized key.*maxRestoreConcurrency/);
    expect(configError(server({}))).toBeUndefined();
  });
});

describe('manifest', () => {
  const wave = (options: Record<string, unknown>, database = 'dst') => waveSchema.safeParse({
    waveId: 'w', tenants: [{ tenantId: 't', source: { server: 'ms', database: 'src' }, target: { server: 'pg', database }, options }],
  });
  const error = (r: ReturnType<typeof wave>) => (r.success ? undefined : formatZodError(r.error));

  it('accepts type names and refuses anything else in columnOverrides[].targetType (stacked statements, comments, clauses)', () => {
    for (const ok of ['varchar(100)', 'numeric(12, 2)', 'timestamp with time zone', 'double precision', 'text[]', 'public.money_amount', 'int4[][]', 'CITEXT']) {
      expect(isTargetTypeName(ok), ok).toBe(true);
    }
    for (const bad of ["int); DROP TABLE guests; --", 'text; SELECT 1', 'int -- x', "text DEFAULT 'x'", 'text COLLATE "C"', 'int /* */', "varchar(10)::text", 'int\u0000']) {
      expect(isTargetTypeName(bad), bad).toBe(false);
    }
    expect(error(wave({ columnOverrides: [{ column: 'dbo.t.c', targetType: 'int); DROP TABLE x; --' }] })))
      .toMatch(/tenants\[0\]\.options\.columnOverrides\[0\]\.targetType: must be a PostgreSQL type name/);
    expect(error(wave({ columnOverrides: [{ column: 'dbo.t.c', targetType: 'numeric(12,2)' }] }))).toBeUndefined();
  });

  it('the SQL Server model refuses a bad override even when the manifest was bypassed', () => {
    expect(() => buildModel({ database: 'd', tables: [] } as never, { overrides: [{ column: 'dbo.t.c', targetType: "int; DROP TABLE x" }] }))
      .toThrow(/options\.columnOverrides\[0\]\.targetType \(dbo\.t\.c\) must be a PostgreSQL type name/);
  });

  it('refuses target database names over 63 bytes (they would collide after truncation)', () => {
    expect(error(wave({}, 'x'.repeat(63)))).toBeUndefined();
    expect(error(wave({}, 'x'.repeat(64)))).toMatch(/tenants\[0\]\.target\.database: is 64 bytes long; PostgreSQL database names are at most 63 bytes/);
    expect(error(wave({}, 'é'.repeat(32)))).toMatch(/is 64 bytes long/);
  });
});

describe('options that do not apply to a source kind', () => {
  it('columnOverrides and lowerCaseNames are refused for PostgreSQL sources, naming the field', async () => {
    const cfg = parseConfig(server({}), 'cfg.json');
    await expect(openSource(cfg, { server: 'pg', database: 'd' }, { columnOverrides: [{ column: 'public.t.c', targetType: 'text' }] }))
      .rejects.toThrow(/options\.columnOverrides applies to SQL Server sources only; source server "pg" is postgres/);
    await expect(openSource(cfg, { server: 'pg', database: 'd' }, { lowerCaseNames: true }))
      .rejects.toThrow(/options\.lowerCaseNames applies to SQL Server sources only/);
  });
});

describe('connections from parts', () => {
  it('passes a password with % unchanged, and reaches a database whose name has URL-reserved characters', async () => {
    process.env.TMIG_TEST_ODD_PW = 'p%41ss word/?#';
    const ep = (database: string) => ({ serverName: 'pg', database,
      server: { kind: 'postgres' as const, url: PG_ADMIN_URL, passwordEnv: 'TMIG_TEST_ODD_PW', maxConcurrency: 1 } });
    expect(pgClientConfig(ep('x')).password).toBe('p%41ss word/?#');
    expect(pgToolEnv(ep('x')).env.PGPASSWORD).toBe('p%41ss word/?#');
    expect(pgToolEnv(ep('x')).url).not.toMatch(/p%41ss|word/);

    const odd = 'tmig odd/name?x#y%41z';
    await dropDatabases(odd);
    await withDb('postgres', (db) => db.query(`CREATE DATABASE "${odd}"`));
    try {
      const db = await connectPg({ ...ep(odd), server: { ...ep(odd).server, passwordEnv: undefined } }, { role: 'admin' });
      try {
        expect((await db.query('SELECT current_database() AS d')).rows[0].d).toBe(odd);
      } finally {
        await db.end();
      }
    } finally {
      await dropDatabases(odd);
    }
    await expect(connectPg({ ...ep('y'.repeat(64)), server: { ...ep('y').server, passwordEnv: undefined } }))
      .rejects.toThrow(/is 64 bytes long; PostgreSQL names are at most 63 bytes/);
  });
});

describe('tmig validate flags', () => {
  it('refuses a --sample-rate that is not a number from 0 to 1', async () => {
    for (const bad of ['abc', '-0.1']) {
      const r = await run(process.execPath, [join(root, 'bin/tmig.js'), '--address', '127.0.0.1:1', 'validate', '--source', 'a/b', '--target', 'c/d', '--sample-rate', bad],
        { cwd: root }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--sample-rate must be a number from 0 to 1/);
    }
  }, 60_000);
});
