/**
 * One engine, described in one object: its kind, the zod schema of its server config, factories
 * for its source and/or target, its audit dialect, an optional backup restore, and its quoting.
 * An engine folder exports exactly one (`src/engines/<kind>/descriptor.ts`); the registry lists them.
 */
import type { z } from 'zod';
import type { ColumnOverride } from '../contract/migration';
import type { AuditDialect, AuditQuery } from './auditDialect';
import type { SourceEngine } from './sourceEngine';
import type { TargetEngine } from './targetEngine';

/** The options a source engine may take from a tenant's migration options (and nothing else). */
export interface SourceOptions {
  /** Per-column target type overrides. */
  columnOverrides?: ColumnOverride[];
  /** Lower-case identifiers in the target. */
  lowerCaseNames?: boolean;
}

export interface EngineEndpoint<C> {
  /** Server name from the worker config (for messages; never a secret). */
  serverName: string;
  server: C;
  database: string;
}

/** An open read-only audit session on a source database. */
export interface AuditSession {
  query: AuditQuery;
  close(): Promise<void>;
}

export interface BackupRestore<C> {
  /** Restores a staged backup into `database`; reports 0..100 as the server does. */
  restore(ep: EngineEndpoint<C> & { backupPath: string; onProgress?: (percent: number) => void; onWaiting?: (message: string) => void }): Promise<{ files: number }>;
  /** Drops a database restored for a tenant (after it was validated). */
  drop(ep: EngineEndpoint<C>): Promise<void>;
}

export interface EngineDescriptor<C extends { kind: string } = { kind: string }> {
  kind: C['kind'];
  /** Schema of `servers.<name>` for this kind: `kind: z.literal(...)` plus the engine's own fields. */
  configSchema: z.ZodType<C, any>;
  createSource?(ep: EngineEndpoint<C>, options: SourceOptions): Promise<SourceEngine>;
  createTarget?(ep: EngineEndpoint<C>): TargetEngine;
  audit?: { dialect: AuditDialect; open(ep: EngineEndpoint<C>): Promise<AuditSession> };
  restore?: BackupRestore<C>;
  /** Identifier quoting of this engine's SQL (the one function used everywhere for it). */
  quoteIdent(name: string): string;
}

/** Keeps a descriptor's own config type (so the registry can infer the server-config union). */
export function defineEngine<C extends { kind: string }>(descriptor: EngineDescriptor<C>): EngineDescriptor<C> {
  return descriptor;
}
