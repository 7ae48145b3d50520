#!/usr/bin/env node
// Compiles src/ to dist/ (the fast-starting CLI run by bin/tmig.js) and stamps the build.
//   node scripts/build.mjs           # build when dist/ is older than src/
//   node scripts/build.mjs --force   # always
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { distIsFresh, stamp, root } = require('../bin/distFreshness.js');

if (process.argv.includes('--force') || !distIsFresh()) {
  const started = Date.now();
  // The stamp's time is taken before compiling: a source edited during the build makes dist/ stale.
  const builtFrom = new Date();
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(stamp, `${builtFrom.toISOString()}\n`);
  const { utimesSync } = await import('node:fs');
  utimesSync(stamp, builtFrom, builtFrom);
  console.log(`[build] dist/ compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// The workflow bundle too (.tmig/bundles/, keyed by the sources' hash): a worker then starts without
// running webpack in a child process (~300 MB for a few seconds, on the first start after a change).
{
  const { bundlePath, ensureWorkflowBundle } = require(join(root, 'dist', 'workers', 'workflowBundle.js'));
  if (!existsSync(bundlePath())) {
    const started = Date.now();
    ensureWorkflowBundle();
    console.log(`[build] workflow bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
