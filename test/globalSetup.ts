// Once per vitest run: provides the SQL Server suites a TDS endpoint. A configured MSSQL_URL wins;
// else Babelfish from ../shared/tools/babelfish is started (free ports, data in .tmig/babelfish).
import { babelfishDir, startBabelfish, type BabelfishServer } from '../src/engines/mssql/babelfishServer';

/** File filters on the command line (`vitest run test/core`): Babelfish starts only when one can select test/mssql. */
export function selectsMssqlSuites(argv: string[]): boolean {
  const filters = argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !['run', 'watch', 'related', 'bench'].includes(a)
    && !(i > 0 && /^--(project|config|reporter|outputFile|testNamePattern|t|root|dir|shard|pool|environment)$/.test(all[i - 1])));
  return filters.length === 0 || filters.some((f) => /mssql|^test\/?$/.test(f));
}

let server: BabelfishServer | undefined;

export async function setup(): Promise<void> {
  if (process.env.MSSQL_URL) {
    console.log('[mssql] SQL Server suites use MSSQL_URL (a configured server)');
    return;
  }
  if (!selectsMssqlSuites(process.argv)) return;
  if (!babelfishDir()) {
    console.warn('[mssql] neither MSSQL_URL nor ../shared/tools/babelfish: the SQL Server suites will skip');
    return;
  }
  const started = Date.now();
  server = await startBabelfish();
  process.env.MSSQL_URL = server.url;
  process.env.TMIG_MSSQL_IS_BABELFISH = '1';
  console.log(`[mssql] Babelfish TDS endpoint up in ${((Date.now() - started) / 1000).toFixed(1)} s (data ${server.dataDir})`);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
