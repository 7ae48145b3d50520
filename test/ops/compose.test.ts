/**
 * The compose stack, checked without a Docker engine: the compose-spec JSON schema and lint rules
 * (dclint), structural rules of our own (dependencies exist and wait for health, every long-running
 * service has a healthcheck, image tags pinned to a release, the worker restarts), the manifest's
 * servers exist in the compose worker config, .env.example covers every required variable, and
 * .dockerignore keeps host state out. `docker compose config` runs too when the plugin exists.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DCLinter } from 'dclint';
import { parseConfig } from '../../src/config/loadConfig';
import { waveSchema } from '../../src/contract/manifestSchema';

const root = resolve(__dirname, '..', '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
interface Service {
  image?: string; build?: unknown; restart?: string; profiles?: string[]; healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }> | string[]; command?: string[]; volumes?: string[];
}
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const oneShot = (s: Service) => s.restart === 'no' || (s.profiles ?? []).includes('cli');

function composePluginPresent(): boolean {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('docker-compose.yml', () => {
  it('passes the compose-spec schema and the lint rules (dclint, config in .dclintrc)', () => {
    const config = JSON.parse(readFileSync(join(root, '.dclintrc'), 'utf8')) as { rules: Record<string, unknown> };
    const [result] = new DCLinter({ rules: config.rules, quiet: false, debug: false, exclude: [] } as never).lintFiles([join(root, 'docker-compose.yml')], false);
    expect(result.messages.map((m: { line: number; message: string }) => `${m.line}: ${m.message}`)).toEqual([]);
  });

  it('the linter does fail a broken file (schema and floating tag)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmig-compose-'));
    const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] } as never);
    const lint = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return linter.lintFiles([join(dir, name)], false)[0].messages.map((m: { rule: string }) => m.rule);
    };
    expect(lint('floating.yml', 'name: x\nservices:\n  a:\n    image: postgres:latest\n')).toContain('service-image-require-explicit-tag');
    expect(lint('schema.yml', 'name: x\nservices:\n  a:\n    image: postgres:15.10\n    depends_on: { b: { condition: when_ready } }\n')).toContain('invalid-schema');
    rmSync(dir, { recursive: true, force: true });
  });

  it('every dependency exists and is waited for by health (or completion for one-shot services)', () => {
    for (const [name, s] of services) {
      const deps = s.depends_on ?? {};
      expect(Array.isArray(deps), `${name}: depends_on must use conditions`).toBe(false);
      for (const [dep, cond] of Object.entries(deps as Record<string, { condition: string }>)) {
        expect(compose.services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        const expected = oneShot(compose.services[dep]) ? 'service_completed_successfully' : 'service_healthy';
        expect(cond.condition, `${name} -> ${dep}`).toBe(expected);
      }
    }
    expect(Object.keys(compose.services.worker.depends_on as object).sort()).toEqual(['minio', 'postgres', 'sqlserver', 'temporal']);
    expect(compose.services.cli.depends_on).toMatchObject({ init: { condition: 'service_completed_successfully' } });
  });

  it('long-running services have healthchecks; the worker restarts; named volumes are declared', () => {
    for (const [name, s] of services) {
      if (!oneShot(s)) expect(s.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0];
        if (!src.startsWith('.') && !src.startsWith('/')) expect(compose.volumes[src], `${name}: volume ${src} not declared`).toBeDefined();
      }
    }
    expect(compose.services.worker.restart).toBe('unless-stopped');
  });

  it('image tags are pinned to releases, never floating', () => {
    for (const [name, s] of services) {
      if (!s.image) {
        expect(s.build, `${name} has neither image nor build`).toBeDefined();
        continue;
      }
      const tag = s.image.split('/').pop()!.split(':')[1] ?? '';
      // A release: x.y[.z], RELEASE.<date>, or a SQL Server cumulative update (2022-CU16-...).
      expect(tag, `${name}: ${s.image}`).toMatch(/^(v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?|RELEASE\.[0-9T-]+Z|\d{4}-CU\d+-[a-z0-9.-]+)$/);
      expect(tag).not.toMatch(/latest|stable|edge|nightly/);
    }
  });

  it('the compose manifest names only servers of the compose worker config (and the example manifest the example config)', () => {
    const pairs: [string, string][] = [['deploy/wave.compose.json', 'deploy/config.compose.yaml'], ['examples/wave.json', 'examples/config.yaml']];
    for (const [manifestPath, configPath] of pairs) {
      const manifest = waveSchema.parse(JSON.parse(readFileSync(join(root, manifestPath), 'utf8')));
      const config = parseConfig(readFileSync(join(root, configPath), 'utf8'), configPath);
      for (const t of manifest.tenants) {
        expect(Object.keys(config.servers), `${manifestPath} ${t.tenantId}`).toContain(t.source.server);
        expect(Object.keys(config.servers), `${manifestPath} ${t.tenantId}`).toContain(t.target.server);
      }
    }
    // The compose manifest shows both paths: a live database and a backup the init service uploaded.
    const manifest = waveSchema.parse(JSON.parse(readFileSync(join(root, 'deploy/wave.compose.json'), 'utf8')));
    const initCmd = compose.services.init.command!.join(' ');
    expect(initCmd).toMatch(/composeSeed/);
    const seed = readFileSync(join(root, 'src/demo/composeSeed.ts'), 'utf8');
    const bak = manifest.tenants.find((t) => t.backup)!;
    expect(seed).toContain(`'${bak.backup!.bucket}'`);
    expect(seed).toContain(`'${bak.backup!.key}'`);
    expect(manifest.tenants.some((t) => !t.backup && t.source.database === 'tmig_sample')).toBe(true);
    expect(readFileSync(join(root, 'deploy/init/sample-hotel.sql'), 'utf8')).toMatch(/CREATE DATABASE tmig_sample;/);
    // The compose config's mention of an entrypoint was wrong: no such thing exists.
    expect(readFileSync(join(root, 'deploy/config.compose.yaml'), 'utf8')).not.toMatch(/entrypoint/);
  });

  it('.env.example defines every variable compose requires; .dockerignore keeps host state out', () => {
    const required = [...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThanOrEqual(3);
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    for (const v of new Set(required)) expect(example).toMatch(new RegExp(`^${v}=.+`, 'm'));
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', '.tmig', 'reports', '.git', '.env']) expect(ignored).toContain(p);
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });

  it.skipIf(!composePluginPresent())('docker compose config accepts the file (compose plugin present)', () => {
    const out = execFileSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), '--env-file', join(root, '.env.example'), 'config', '--quiet'], { encoding: 'utf8' });
    expect(out).toBe('');
  });
});
