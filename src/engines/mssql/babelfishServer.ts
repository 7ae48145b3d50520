// Finds and runs the Babelfish TDS endpoint (../shared/tools/babelfish) for the SQL Server suites
// and the bench, as ferretServer.ts does FerretDB: free ports, data under .tmig/babelfish; never
// touches a configured MSSQL_URL.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../freePort';

const run = promisify(execFile);

/** The project root (this file is src/engines/mssql/babelfishServer.ts, or its dist/ copy). */
export const projectRoot = resolve(__dirname, '..', '..', '..');

/**
 * `shared/tools/babelfish` beside the checkout: `TMIG_SHARED_DIR` when set, else the first
 * ancestor of the project root holding `shared/tools/babelfish/start.sh` (a git worktree may sit
 * a level deeper than the main checkout).
 */
export function babelfishDir(root = projectRoot): string | undefined {
  if (process.env.TMIG_SHARED_DIR) {
    const d = join(process.env.TMIG_SHARED_DIR, 'tools', 'babelfish');
    return existsSync(join(d, 'start.sh')) ? d : undefined;
  }
  for (let dir = resolve(root, '..'); ; dir = dirname(dir)) {
    const d = join(dir, 'shared', 'tools', 'babelfish');
    if (existsSync(join(d, 'start.sh'))) return d;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface BabelfishServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts Babelfish with its data in `dataDir` (initialised on first use, reused after) on free
 * TDS and PostgreSQL ports. A server left running in that directory by a killed run is stopped first.
 */
export async function startBabelfish(dataDir = join(projectRoot, '.tmig', 'babelfish')): Promise<BabelfishServer> {
  const dir = babelfishDir();
  if (!dir) throw new Error('Babelfish not found: expected ../shared/tools/babelfish beside the checkout (or TMIG_SHARED_DIR)');
  const script = join(dir, 'start.sh');
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(join(dataDir, 'pg', 'postmaster.pid'))) {
    await run('bash', [script, dataDir, 'stop'], { timeout: 60_000 }).catch(() => undefined);
  }
  const tds = await freePort();
  const pg = await freePort();
  let out: string;
  try {
    ({ stdout: out } = await run('bash', [script, dataDir, String(tds), String(pg)], { timeout: 300_000, maxBuffer: 1 << 20 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Babelfish did not start (${script} ${dataDir}): ${e.stderr || e.message}; its log: ${join(dataDir, 'pg', 'log')}`);
  }
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('MSSQL_URL='));
  if (!line) throw new Error(`Babelfish start.sh printed no MSSQL_URL line: ${out.slice(-500)}`);
  return {
    url: line.slice('MSSQL_URL='.length),
    dataDir,
    stop: async () => { await run('bash', [script, dataDir, 'stop'], { timeout: 120_000 }).catch(() => undefined); },
  };
}
