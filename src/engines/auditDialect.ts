/**
 * What the engine-neutral audit core needs from a source engine's SQL: quoting, parameters,
 * casts and the few features that differ per engine. One implementation per source kind
 * (PostgreSQL here; SQL Server follows the same shape).
 */
export interface AuditDialect {
  readonly kind: string;
  quoteIdent(name: string): string;
  qualifiedTable(schema: string, name: string): string;
  /** Placeholder for the n-th bind parameter (1-based). */
  param(n: number): string;
  /** Expression rendering a value as text (for sample keys). */
  asText(expr: string): string;
  /** Row locator for tables without a key (sample keys), or null when the engine has none. */
  rowLocator(alias: string): { label: string; expr: string } | null;
  /** Stored size of a whole row in bytes. */
  rowBytes(alias: string, columns: string[]): string;
  /** Predicate true when `expr` (as text) does NOT match the regular expression in parameter `param`; null when unsupported. */
  notMatching(expr: string, param: string): string | null;
  /** The current instant, for range bounds given as "now", comparable with a column of this source type. */
  now(columnType: string): string;
  /** Whether a query error means the manifest's check is wrong (bad regex, literal of the wrong type): not retryable. */
  isBadInput(err: unknown): boolean;
  /**
   * Query returning one row with a `current` text column: the highest value an identity/serial
   * column has handed out (max of the column and of its generator).
   */
  identityCurrentQuery(schema: string, table: string, column: string): { sql: string; params: unknown[] };
  /** Largest value of an integer-like source type, or null when the type is not bounded integer. */
  integerTypeMax(sourceType: string): bigint | null;
  /**
   * Wraps a filtered row set: returns the total number of rows and up to `limit` sample rows,
   * as columns `total` and `k0..kn` (text), ordered by the sample expressions.
   */
  countAndSample(from: string, where: string, sampleExprs: string[], limit: number): string;
}

/** Runs a query against the source; returns plain rows. */
export type AuditQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
