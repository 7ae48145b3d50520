/**
 * The engines tmig knows, by kind. Adding an engine is a folder with a descriptor plus one line
 * in `builtinEngines`; `registerEngine` adds one at run time (plugins, tests).
 */
import type { z } from 'zod';
import type { BackupRef, DatabaseRef } from '../contract/migration';
import { BadInputError } from '../contract/failures';
import type { EngineDescriptor, SourceOptions } from './engineDescriptor';
import type { SourceEngine } from './sourceEngine';
import type { TargetEngine } from './targetEngine';
import { postgresEngine } from './postgres/descriptor';
import { mssqlEngine } from './mssql/descriptor';
import { mongodbEngine } from './mongodb/descriptor';
import { mysqlEngine } from './mysql/descriptor';

export const builtinEngines = [postgresEngine, mssqlEngine, mongodbEngine, mysqlEngine] as const;

/** A server's config: the union of the built-in engines' config schemas, discriminated on `kind`. */
export type ServerConfig = z.infer<(typeof builtinEngines)[number]['configSchema']>;

const registered = new Map<string, EngineDescriptor<any>>(builtinEngines.map((d) => [d.kind, d as EngineDescriptor<any>]));

/** Adds an engine (a kind already registered is replaced). */
export function registerEngine(descriptor: EngineDescriptor<any>): void {
  registered.set(descriptor.kind, descriptor);
}

/** Every registered engine, built-in ones first. */
export function engineDescriptors(): EngineDescriptor<any>[] {
  return [...registered.values()];
}

export function engineDescriptor(kind: string, serverName: string): EngineDescriptor<any> {
  const d = registered.get(kind);
  if (!d) throw new BadInputError(`server "${serverName}": unsupported kind ${kind} (known: ${[...registered.keys()].join(', ')})`);
  return d;
}

/** A source engine for a database on a configured server. */
export async function createSourceEngine(serverName: string, server: { kind: string }, database: string, options: SourceOptions = {}): Promise<SourceEngine> {
  const d = engineDescriptor(server.kind, serverName);
  if (!d.createSource) throw new BadInputError(`server "${serverName}" is of kind ${server.kind}, which cannot be a source`);
  return d.createSource({ serverName, server, database }, { columnOverrides: options.columnOverrides, lowerCaseNames: options.lowerCaseNames });
}

/** A target engine for a database on a configured server. */
export function createTargetEngine(serverName: string, server: { kind: string }, database: string): TargetEngine {
  const d = engineDescriptor(server.kind, serverName);
  if (!d.createTarget) throw new BadInputError(`target server "${serverName}" is of kind ${server.kind}; targets must be ${targetKinds().join(' or ')}`);
  return d.createTarget({ serverName, server, database });
}

function targetKinds(): string[] {
  return engineDescriptors().filter((d) => d.createTarget).map((d) => d.kind);
}

/**
 * The source's identity, without secrets: server and database, plus the backup it was restored
 * from (a newer upload of the same tenant is a different source).
 */
export function sourceLabel(ref: DatabaseRef, backup?: BackupRef): string {
  const base = `${ref.server}/${ref.database}${ref.split ? ` split tenant ${ref.split.tenantKey.value}` : ''}`;
  return backup ? `${base} restored from s3://${backup.bucket}/${backup.key}${backup.etag ? `@${backup.etag}` : ''}` : base;
}

