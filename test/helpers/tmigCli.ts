/**
 * The operator CLI as tests run it: `tmigProcess` starts the real `bin/tmig.js` (what an operator
 * types), `tmigInProcess` calls the same `main` inside the test process, so a test can drive many
 * commands against its own Temporal server without a process start per call. vitest intercepts
 * `console`, so console output is captured alongside the streams.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main';

const root = resolve(__dirname, '../..');

export interface CliRun { code: number; stdout: string; stderr: string }

/** `args` as typed after `tmig`; `env` is applied for this call only (`undefined` unsets a variable). */
export async function tmigInProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { write: process.stdout.write, writeErr: process.stderr.write, log: console.log, error: console.error, warn: console.warn, env: { ...process.env } };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const into = (sink: string[]) => ((c: string | Uint8Array) => { sink.push(String(c)); return true; }) as typeof process.stdout.write;
  process.stdout.write = into(out);
  process.stderr.write = into(err);
  console.log = (...a: unknown[]) => { out.push(`${a.map(String).join(' ')}\n`); };
  console.error = (...a: unknown[]) => { err.push(`${a.map(String).join(' ')}\n`); };
  console.warn = console.error;
  process.exitCode = undefined;
  try {
    await main(['node', 'tmig', ...args]);
  } finally {
    process.stdout.write = saved.write;
    process.stderr.write = saved.writeErr;
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
    process.env = saved.env;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Runs `bin/tmig.js` as its own process; `env` is added to the test's environment. */
export async function tmigProcess(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const r = await promisify(execFile)(process.execPath, [resolve(root, 'bin/tmig.js'), ...args],
      { env: { ...process.env, ...env }, cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
