/**
 * Production-style Temporal connections. The dev server has no TLS flags, so an mTLS endpoint is
 * put in front of it the way an ingress or Temporal Cloud's front door is: a real TLS server
 * (node:tls, ALPN h2) that demands a client certificate signed by the test CA and forwards the
 * bytes to the dev server. Certificates are made by openssl in the test. A real worker process and
 * the CLI connect through it with TEMPORAL_TLS_CERT/KEY/CA and migrate a tenant; without a client
 * certificate the handshake is refused and the CLI and doctor say so; a TOML profile works too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTemporal, temporalCliPath } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { freePort } from '../../src/engines/freePort';
import { PG_ADMIN_URL, dropDatabases, tableDigests } from '../helpers/pg';
import { createSampleTenant } from '../../src/demo/sampleTenant';
import { resolveTemporalConnection } from '../../src/temporal/connectionSettings';
import { tmigInProcess } from '../helpers/tmigCli';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tmig test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  for (const [name, cn, ext] of [['server', 'localhost', 'serverAuth'], ['client', 'tmig-worker', 'clientAuth']]) {
    writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${ext}\n`
      + (name === 'server' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : ''));
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('SKIPPED: the TLS test needs the openssl command to make certificates');

describe.skipIf(!temporalCliPath() || !haveOpenssl)('worker and CLI against Temporal behind mTLS', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerProcess;
  let proxy: TlsServer;
  let dir: string;
  let address: string;
  const seen = { clients: [] as string[], refused: 0 };
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tmig-tls-'));
    makeCertificates(dir);
    await dropDatabases('tmig_tls_src', 'tmig_tls_dst');
    await createSampleTenant(PG_ADMIN_URL, 'tmig_tls_src', 300);
    env = await startTemporal();
    const [host, port] = env.address.split(':');
    proxy = createTlsServer({
      key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')), ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'],
    }, (socket: TLSSocket) => {
      seen.clients.push(String(socket.getPeerCertificate().subject?.CN));
      const upstream = netConnect(Number(port), host === 'localhost' ? '127.0.0.1' : host);
      socket.pipe(upstream).pipe(socket);
      const close = () => { socket.destroy(); upstream.destroy(); };
      socket.on('error', close);
      upstream.on('error', close);
    });
    proxy.on('tlsClientError', () => { seen.refused++; });
    const proxyPort = await freePort();
    await new Promise<void>((res) => proxy.listen(proxyPort, '127.0.0.1', res));
    address = `localhost:${proxyPort}`;
    tlsEnv = { TEMPORAL_TLS_CERT: join(dir, 'client.pem'), TEMPORAL_TLS_KEY: join(dir, 'client.key'), TEMPORAL_TLS_CA: join(dir, 'ca.pem') };
    worker = await startWorker(address, writeTestConfig(), tlsEnv);
  });

  afterAll(async () => {
    await worker?.stop();
    proxy?.close();
    await env?.teardown();
    await dropDatabases('tmig_tls_src', 'tmig_tls_dst');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tmig = (args: string[], extraEnv: Record<string, string | undefined>) => tmigInProcess(args, extraEnv)
    .then((r) => ({ code: r.code, out: r.stdout + r.stderr }));

  it('the worker connected with its client certificate; the CLI starts and waits for a wave through mTLS', async () => {
    expect(worker.output()).toMatch(/temporal=localhost:\d+ namespace default \(mTLS, custom CA\)/);
    expect(seen.clients).toContain('tmig-worker');
    const manifest = join(dir, 'wave.json');
    writeFileSync(manifest, JSON.stringify({
      waveId: 'tls-wave',
      tenants: [{ tenantId: 'tls-1', source: { server: 'local', database: 'tmig_tls_src' }, target: { server: 'target', database: 'tmig_tls_dst' } }],
    }));
    const before = seen.clients.length;
    const r = await tmig(['start', manifest, '--wait'], { ...tlsEnv, TEMPORAL_ADDRESS: address });
    expect(r.out).toMatch(/tls-wave: 1 (succeeded|migrated), 0 (already complete, 0 )?failed/);
    expect(r.code).toBe(0);
    expect(seen.clients.length).toBeGreaterThan(before);
    expect(await tableDigests('tmig_tls_dst')).toEqual(await tableDigests('tmig_tls_src'));
  });

  it('without a client certificate the server refuses the handshake, and the CLI and doctor say Temporal is unreachable', async () => {
    const refusedBefore = seen.refused;
    const status = await tmig(['status', 'tls-wave', '--once'], { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA: tlsEnv.TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined });
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/cannot reach Temporal at localhost:\d+/);
    expect(seen.refused).toBeGreaterThan(refusedBefore);

    const doctor = await tmig(['doctor', '--skip-temporal'], { MIGRATOR_CONFIG: join(dir, 'none.json') });
    expect(doctor.code).toBe(1); // sanity: doctor runs; the config is missing
    const noCert = await tmig(['doctor', '--config', writeTestConfig(), '--min-free-gb', '0', '--json'],
      { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA: tlsEnv.TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined });
    const findings = JSON.parse(noCert.out) as { results: { check: string; status: string; subject: string }[] };
    expect(findings.results.find((f) => f.check === 'temporal')).toMatchObject({ status: 'fail', subject: expect.stringMatching(/\(TLS, custom CA\)/) });
    expect(noCert.code).toBe(1);
  });

  it('a Temporal CLI TOML profile selected by TEMPORAL_PROFILE carries address, namespace and TLS files', async () => {
    const profile = join(dir, 'temporal.toml');
    writeFileSync(profile, `[profile.prod]\naddress = "${address}"\nnamespace = "default"\n\n[profile.prod.tls]\n`
      + `client_cert_path = "${join(dir, 'client.pem')}"\nclient_key_path = "${join(dir, 'client.key')}"\nserver_ca_cert_path = "${join(dir, 'ca.pem')}"\n`);
    const r = await tmig(['doctor', '--config', writeTestConfig(), '--min-free-gb', '0', '--json'],
      { TEMPORAL_CONFIG_FILE: profile, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: undefined, ...Object.fromEntries(Object.keys(tlsEnv).map((k) => [k, undefined])) });
    const findings = JSON.parse(r.out) as { results: { check: string; status: string; subject: string }[] };
    expect(findings.results.find((f) => f.check === 'temporal')).toMatchObject({ status: 'ok', subject: expect.stringMatching(/^localhost:\d+ namespace default \(mTLS, custom CA\)$/) });
    expect(findings.results.filter((f) => f.check === 'workers').map((f) => f.status)).toEqual(['ok', 'ok']);
  });

  it('bad settings are refused with the variable named; API keys turn TLS on and never appear in descriptions', () => {
    expect(() => resolveTemporalConnection({}, { TEMPORAL_TLS_CERT: join(dir, 'nope.pem'), TEMPORAL_TLS_KEY: join(dir, 'client.key') }))
      .toThrow(/TEMPORAL_TLS_CERT names .*nope\.pem, which does not exist/);
    expect(() => resolveTemporalConnection({}, { TEMPORAL_TLS_CERT: join(dir, 'client.pem') })).toThrow(/no key \(TEMPORAL_TLS_KEY\)/);
    expect(() => resolveTemporalConnection({}, { TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') })).toThrow(/TEMPORAL_CONFIG_FILE/);
    expect(() => resolveTemporalConnection({}, { TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'staging' })).toThrow(/Profile 'staging' not found/);
    const cloud = resolveTemporalConnection({}, { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'secret-key-123' });
    expect(cloud).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'secret-key-123', tls: true });
    expect(cloud.description).toBe('ns.acct.tmprl.cloud:7233 namespace ns.acct (TLS, API key)');
    // Flags win over the environment.
    expect(resolveTemporalConnection({ address: 'a:1', namespace: 'n' }, { TEMPORAL_ADDRESS: 'b:2', TEMPORAL_NAMESPACE: 'm' })).toMatchObject({ address: 'a:1', namespace: 'n' });
    expect(resolveTemporalConnection({}, {})).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', description: '127.0.0.1:7233 namespace default (plaintext)' });
  });
});
