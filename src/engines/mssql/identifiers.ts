import { createHash } from 'node:crypto';

/**
 * Target identifiers: optional lower-casing, `dbo` mapped to a configurable schema, and
 * deterministic shortening of names longer than PostgreSQL's 63-byte limit.
 */

export const PG_MAX_IDENT_BYTES = 63;

/** Shortens a name past 63 bytes: a prefix cut on a character boundary plus `_` and 8 hex of sha256(name). */
export function shortenIdentifier(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= PG_MAX_IDENT_BYTES) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  const budget = PG_MAX_IDENT_BYTES - 9;
  let prefix = '';
  let bytes = 0;
  for (const ch of name) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > budget) break;
    prefix += ch;
    bytes += b;
  }
  return `${prefix}_${hash}`;
}

export interface NamingOptions {
  lowerCaseNames?: boolean;
  /** Target schema for `dbo` (default `public`). */
  dboSchema?: string;
}

/** Source name -> target name (before quoting). */
export function targetIdentifier(name: string, opts: NamingOptions): string {
  return shortenIdentifier(opts.lowerCaseNames ? name.toLowerCase() : name);
}

export function targetSchemaName(schema: string, opts: NamingOptions): string {
  if (schema.toLowerCase() === 'dbo') return opts.dboSchema ?? 'public';
  return targetIdentifier(schema, opts);
}

/** The target's identifier quoting (PostgreSQL), under the names this engine's DDL code uses. */
export { quoteIdent as pgIdent, qualified as pgQualified } from '../postgres/quoting';

/** PostgreSQL string literal (standard_conforming_strings on). */
export function pgLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL character in a string literal');
  return `'${value.replace(/'/g, "''")}'`;
}

/** T-SQL identifier quoting with brackets: the one place it is written. */
export function msIdent(name: string): string {
  return '[' + name.replace(/]/g, ']]') + ']';
}

export function msQualified(schema: string, name: string): string {
  return `${msIdent(schema)}.${msIdent(name)}`;
}

/** T-SQL Unicode string literal. */
export function msLiteral(value: string): string {
  return `N'${value.replace(/'/g, "''")}'`;
}

/**
 * Allocates unique names within one namespace (PostgreSQL: relations per schema), so two
 * SQL Server indexes with the same name on different tables do not collide.
 */
export class NameAllocator {
  private readonly used = new Set<string>();
  reserve(name: string): void { this.used.add(name); }
  has(name: string): boolean { return this.used.has(name); }
  /** The preferred name when free, else `<fallbackPrefix>_<preferred>`, else a numbered variant. */
  allocate(preferred: string, fallbackPrefix: string): string {
    const candidates = [preferred, shortenIdentifier(`${fallbackPrefix}_${preferred}`)];
    for (const c of candidates) {
      if (!this.used.has(c)) { this.used.add(c); return c; }
    }
    for (let i = 2; ; i++) {
      const c = shortenIdentifier(`${fallbackPrefix}_${preferred}_${i}`);
      if (!this.used.has(c)) { this.used.add(c); return c; }
    }
  }
}
