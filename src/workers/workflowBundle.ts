import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Workflow code is bundled once per source version into `.tmig/bundles/<hash>.js`, in a
 * short-lived child process: the worker itself never loads webpack (about 200 MB less memory)
 * and restarts in a second instead of several.
 */
const root = resolve(__dirname, '..', '..');

/** Hash of every source file and the lockfile: any change that could reach the bundle makes a new one. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) hash.update(path.slice(root.length)).update(readFileSync(path));
    }
  };
  walk(join(root, 'src'));
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

export function bundlePath(hash = sourceHash()): string {
  return join(root, '.tmig', 'bundles', `workflows-${hash}.js`);
}

/** Path of an up-to-date bundle, building it first when missing. */
export function ensureWorkflowBundle(): string {
  const path = bundlePath();
  if (existsSync(path)) return path;
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/workers/buildWorkflowBundle.ts'), path], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0 || !existsSync(path)) throw new Error(`building the workflow bundle failed (exit ${res.status})`);
  // Older bundles are dead weight: workers load theirs once at start.
  const dir = dirname(path);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('workflows-') && name.endsWith('.js') && join(dir, name) !== path) rmSync(join(dir, name), { force: true });
  }
  return path;
}
