// Is dist/ (the compiled CLI) at least as new as every file under src/? Shared by bin/tmig.js and
// scripts/setup.mjs; plain CommonJS so it runs before anything is compiled.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** True when dist/ was built after the last change to src/ (and to the tsconfig files). */
function distIsFresh() {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const inputs = [newestMtimeMs(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs,
    statSync(join(root, 'tsconfig.build.json')).mtimeMs, statSync(join(root, 'package-lock.json')).mtimeMs];
  return inputs.every((t) => t <= built);
}

module.exports = { distIsFresh, stamp, root };
