#!/usr/bin/env node
// The operator CLI. Runs the compiled CLI from dist/ (built by `npm run build`, which setup and
// `npm test` run) when it is up to date with src/; otherwise TypeScript through tsx, so a checkout
// with edits or no build still works, only slower to start.
const { join } = require('node:path');
const { distIsFresh, root } = require('./distFreshness');

let main;
if (process.env.TMIG_CLI_FROM_SOURCE !== '1' && distIsFresh()) {
  ({ main } = require(join(root, 'dist', 'cli', 'main.js')));
} else {
  // Said on a terminal only: scripts reading stderr see the same output either way.
  if (process.env.TMIG_CLI_FROM_SOURCE !== '1' && process.stderr.isTTY) {
    process.stderr.write('tmig: dist/ is missing or older than src/: running from source (slower start; `npm run build` fixes it)\n');
  }
  require('tsx/cjs');
  ({ main } = require(join(root, 'src', 'cli', 'main.ts')));
}
main(process.argv).then(() => process.exit(process.exitCode ?? 0));
