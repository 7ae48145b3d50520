/**
 * Owns how every tmig process (worker, CLI, tests, doctor) reaches Temporal: address, namespace,
 * mTLS, API key and the Temporal CLI's TOML profiles. It never prints a key or a certificate.
 */
import { existsSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** Explicit values (CLI flags) that win over the environment and the profile. */
export interface TemporalOverrides {
  address?: string;
  namespace?: string;
  /** Profile name in the TOML file (else TEMPORAL_PROFILE, else `default`). */
  profile?: string;
}

/** What Connection.connect / NativeConnection.connect take, plus the namespace. */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
  /** A line for logs and doctor output: address, namespace, auth kind. No secrets. */
  description: string;
}

/**
 * The short variable names the issue and older Temporal CLI releases use, mapped to the names the
 * Temporal CLI and SDK environment configuration read today. A long name that is set wins.
 */
const ENV_ALIASES: Record<string, string> = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

const PATH_VARIABLES = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'];

/** A connection setting that cannot work (missing file, cert without key, unknown profile). */
export class TemporalSettingsError extends Error {}

function normalizedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  for (const [short, long] of Object.entries(ENV_ALIASES)) {
    if (out[short] && !out[long]) out[long] = out[short];
  }
  return out;
}

function nameOf(longName: string, env: Record<string, string>): string {
  const short = Object.keys(ENV_ALIASES).find((s) => ENV_ALIASES[s] === longName && env[s] === env[longName]);
  return short ?? longName;
}

/**
 * Resolves the connection settings: flags > environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_CERT/KEY/CA or the *_PATH/_DATA forms, TEMPORAL_TLS,
 * TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*) > the TOML profile (TEMPORAL_CONFIG_FILE or
 * ~/.config/temporalio/temporal.toml, profile TEMPORAL_PROFILE) > defaults (127.0.0.1:7233, default).
 */
export function resolveTemporalConnection(overrides: TemporalOverrides = {}, env: NodeJS.ProcessEnv = process.env): TemporalConnectionSettings {
  const vars = normalizedEnv(env);
  if (vars.TEMPORAL_CONFIG_FILE && !existsSync(vars.TEMPORAL_CONFIG_FILE)) {
    throw new TemporalSettingsError(`TEMPORAL_CONFIG_FILE names ${vars.TEMPORAL_CONFIG_FILE}, which does not exist`);
  }
  for (const v of PATH_VARIABLES) {
    if (vars[v] && !existsSync(vars[v])) {
      throw new TemporalSettingsError(`${nameOf(v, vars)} names ${vars[v]}, which does not exist`);
    }
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ profile: overrides.profile, overrideEnvVars: vars });
  } catch (err) {
    throw new TemporalSettingsError(`Temporal connection profile: ${(err as Error).message}`);
  }
  const tls = profile.tls;
  if (tls && !tls.disabled && (!!tls.clientCert !== !!tls.clientKey)) {
    throw new TemporalSettingsError(tls.clientCert
      ? 'a TLS client certificate is set (TEMPORAL_TLS_CERT or profile tls.client_cert_path) but no key (TEMPORAL_TLS_KEY)'
      : 'a TLS client key is set (TEMPORAL_TLS_KEY or profile tls.client_key_path) but no certificate (TEMPORAL_TLS_CERT)');
  }
  let connect: ReturnType<typeof toClientOptions>;
  try {
    connect = toClientOptions(profile);
  } catch (err) {
    throw new TemporalSettingsError(`Temporal TLS files: ${(err as Error).message}`);
  }
  const address = overrides.address ?? connect.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = overrides.namespace ?? connect.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  const settings: TemporalConnectionSettings = { address, namespace, description: '' };
  if (connect.connectionOptions.tls !== undefined) settings.tls = connect.connectionOptions.tls as TLSConfig | boolean;
  if (connect.connectionOptions.apiKey) settings.apiKey = connect.connectionOptions.apiKey as string;
  if (connect.connectionOptions.metadata) settings.metadata = connect.connectionOptions.metadata as Record<string, string>;
  settings.description = describeSettings(settings);
  return settings;
}

/** `127.0.0.1:7233 namespace default, mTLS (CA from file)` — what is used, never the values of secrets. */
export function describeSettings(s: Pick<TemporalConnectionSettings, 'address' | 'namespace' | 'tls' | 'apiKey'>): string {
  const parts: string[] = [];
  if (s.tls === false || s.tls === undefined) parts.push('plaintext');
  else if (s.tls === true) parts.push('TLS');
  else {
    parts.push(s.tls.clientCertPair ? 'mTLS' : 'TLS');
    if (s.tls.serverRootCACertificate) parts.push('custom CA');
    if (s.tls.serverNameOverride) parts.push(`server name ${s.tls.serverNameOverride}`);
  }
  if (s.apiKey) parts.push('API key');
  return `${s.address} namespace ${s.namespace} (${parts.join(', ')})`;
}

/** The options Connection.connect and NativeConnection.connect share. */
export function connectionOptions(s: TemporalConnectionSettings): { address: string; tls?: TLSConfig | boolean; apiKey?: string; metadata?: Record<string, string> } {
  return {
    address: s.address,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}
