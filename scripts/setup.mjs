#!/usr/bin/env node
// Idempotent setup: installs what is missing and nothing else, so a second run takes a second.
//   node scripts/setup.mjs            # npm deps, Temporal CLI, MinIO, Debian tools
//   node scripts/setup.mjs --minimal  # npm deps and the Temporal CLI only (demo)
//   node scripts/setup.mjs --bench    # also the benchmark's peers (pgcopydb, pgloader)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferretdbBinary, goTools, toolCache, toolPath } from './tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const minimal = process.argv.includes('--minimal');
const bench = process.argv.includes('--bench');
const log = (msg) => console.log(`[setup] ${msg}`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function npmDeps() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.tmig-lock-hash');
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  log('installing npm dependencies (pinned by package-lock.json)');
  // Not `npm ci`: npm 11 rejects lockfiles that lack other platforms' optional packages
  // (@swc/core-darwin-*, ...). `install --no-save` installs the locked versions and writes nothing.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, hash);
}

function goTool(name) {
  const path = toolPath(name);
  if (existsSync(path)) return path;
  if (!has('go')) {
    log(`${name}: Go is not installed; ${name === 'temporal' ? 'the Temporal SDK will download its dev server instead' : 'tests that need it will say they skipped'}`);
    return undefined;
  }
  mkdirSync(toolCache, { recursive: true });
  const tool = goTools[name];
  for (const version of tool.versions) {
    log(`building ${name} with go install ${tool.module}@${version} (first run only, a few minutes)`);
    const tmpBin = join(toolCache, `.build-${name}`);
    const res = spawnSync('go', ['install', `${tool.module}@${version}`], {
      stdio: 'inherit', env: { ...process.env, GOBIN: tmpBin, CGO_ENABLED: '0' },
    });
    const built = join(tmpBin, tool.binary ?? name);
    if (res.status === 0 && existsSync(built)) {
      renameSync(built, path);
      return path;
    }
    log(`${name}@${version} did not build`);
  }
  return undefined;
}

/**
 * FerretDB (MongoDB wire protocol on SQLite) for the lazy migration's tests, demo and bench.
 * Not a plain `go install`: that binary panics at start because the module ships without its
 * generated build/version/version.txt. So: download the module, copy it, write the file, build.
 */
function ferretdb() {
  const out = ferretdbBinary.path;
  if (existsSync(out)) return out;
  if (!has('go')) {
    log('ferretdb: Go is not installed; lazy-migration tests need MONGO_URL or FerretDB');
    return undefined;
  }
  log(`building FerretDB ${ferretdbBinary.version} from the Go module proxy (first run only, a few minutes)`);
  const mod = `${ferretdbBinary.module}@${ferretdbBinary.version}`;
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', mod], { encoding: 'utf8' }));
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-build-'));
  try {
    cpSync(info.Dir, work, { recursive: true });
    const makeWritable = (dir) => {
      chmodSync(dir, 0o755);
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) makeWritable(p);
        else chmodSync(p, 0o644);
      }
    };
    makeWritable(work);
    writeFileSync(join(work, 'build', 'version', 'version.txt'), `${ferretdbBinary.version}\n`);
    mkdirSync(toolCache, { recursive: true });
    const tmpOut = `${out}.build`;
    const res = spawnSync('go', ['build', '-trimpath', '-o', tmpOut, './cmd/ferretdb'], { cwd: work, stdio: 'inherit', env: { ...process.env, CGO_ENABLED: '0' } });
    if (res.status !== 0 || !existsSync(tmpOut)) {
      log('ferretdb did not build');
      return undefined;
    }
    renameSync(tmpOut, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function debianTools() {
  // pg_dump/psql: the PostgreSQL engine's schema path; archives and report tests: bsdtar, chromium.
  const wanted = { pg_dump: 'postgresql-client', psql: 'postgresql-client' };
  if (!minimal) Object.assign(wanted, { bsdtar: 'libarchive-tools', chromium: 'chromium', mariadbd: 'mariadb-server' });
  if (bench) Object.assign(wanted, { pgcopydb: 'pgcopydb', pgloader: 'pgloader' });
  const missing = [...new Set(Object.entries(wanted).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg))];
  if (!missing.length) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    log(`missing Debian packages: ${missing.join(' ')} (install them; tests that need them will fail or skip)`);
    return;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}

/** The compiled CLI (dist/), rebuilt only when src/ changed since the last build. */
function buildCli() {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
}

const started = Date.now();
npmDeps();
buildCli();
const temporal = goTool('temporal');
debianTools();
if (!minimal) goTool('minio');
if (!minimal || bench) ferretdb();
if (temporal) log(`temporal CLI: ${temporal} (${(statSync(temporal).size / 1e6).toFixed(0)} MB)`);
log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
