import type { TableModel } from '../engines/schemaModel';
import type { AuditDialect, AuditQuery } from '../engines/auditDialect';
import type { AuditFinding, AuditOptions } from '../contract/auditResult';
import { AUDIT_DEFAULTS, DEFAULT_POLICIES } from '../contract/auditResult';
import { sourceLabel } from './resolve';
import { BadInputError } from '../contract/failures';

/** Shared state of one audit run: SQL dialect, query function and options with defaults filled in. */
export class AuditContext {
  readonly maxRowBytes: number;
  readonly identityThreshold: number;
  readonly sampleSize: number;
  readonly reportKeys: boolean | undefined;
  readonly policies: typeof DEFAULT_POLICIES;
  checksRun = 0;

  constructor(readonly dialect: AuditDialect, readonly query: AuditQuery, options: AuditOptions = {}) {
    this.maxRowBytes = options.maxRowBytes ?? AUDIT_DEFAULTS.maxRowBytes;
    this.identityThreshold = options.identityThreshold ?? AUDIT_DEFAULTS.identityThreshold;
    this.sampleSize = options.sampleSize ?? AUDIT_DEFAULTS.sampleSize;
    this.reportKeys = options.reportKeys;
    this.policies = { ...DEFAULT_POLICIES, ...options.policies };
  }

  /** `alias`-qualified source table, e.g. `"public"."orders" t`. */
  from(table: TableModel, alias = 't'): string {
    const qualified = this.dialect.qualifiedTable(table.schema, table.name);
    // A tenant slice of a shared database: only the tenant's rows are audited (its condition names the table unaliased).
    if (table.rowFilter) return `(SELECT * FROM ${qualified} WHERE ${table.rowFilter}) ${alias}`;
    return `${qualified} ${alias}`;
  }

  col(name: string, alias = 't'): string {
    return `${alias}.${this.dialect.quoteIdent(name)}`;
  }

  /** Sample key expressions and their labels: the table's key, else the engine's row locator. */
  private sampleKey(table: TableModel, alias: string): { labels: string[]; exprs: string[] } {
    if (table.key?.length) return { labels: table.key, exprs: table.key.map((k) => this.col(k, alias)) };
    const loc = this.dialect.rowLocator(alias);
    return loc ? { labels: [loc.label], exprs: [loc.expr] } : { labels: [], exprs: [] };
  }

  /** Counts rows of `table` (alias `t`) matching `where`, with a few sample keys. */
  /**
   * Counts non-NULL values of a column not matching a regular expression, evaluated here (for
   * engines without a regex operator: SQL Server before 2025, Babelfish), with sample keys in key order.
   * Reads the column once (key and value as text), holding only the sample keys.
   */
  async notMatchingHere(table: TableModel, column: string, pattern: RegExp, what: string): Promise<{ count: number; sampleKeys: string[] }> {
    this.checksRun++;
    const key = this.sampleKey(table, 't');
    const c = this.col(column);
    const keys = key.exprs.map((e, i) => `${this.dialect.asText(e)} AS k${i}`).join(', ');
    const order = key.exprs.length ? ` ORDER BY ${key.exprs.join(', ')}` : '';
    const sql = `SELECT ${keys}${keys ? ', ' : ''}${this.dialect.asText(c)} AS v FROM ${this.from(table)} WHERE ${c} IS NOT NULL${order}`;
    const rows = await this.run(sql, [], `${what} on ${sourceLabel(table)}`);
    let count = 0;
    const sampleKeys: string[] = [];
    for (const r of rows) {
      if (pattern.test(String(r.v))) continue;
      count++;
      if (sampleKeys.length < this.sampleSize) sampleKeys.push(key.labels.map((l, i) => `${l}=${r[`k${i}`] === null ? 'NULL' : String(r[`k${i}`])}`).join(', '));
    }
    return { count, sampleKeys };
  }

  async matching(table: TableModel, where: string, params: unknown[], what: string): Promise<{ count: number; sampleKeys: string[] }> {
    this.checksRun++;
    const key = this.sampleKey(table, 't');
    const sql = this.dialect.countAndSample(this.from(table), where, key.exprs, this.sampleSize);
    const rows = await this.run(sql, params, `${what} on ${sourceLabel(table)}`);
    const count = rows.length ? Number(rows[0].total) : 0;
    const sampleKeys = this.reportKeys === false ? [] : rows.map((r) => key.labels.map((l, i) => `${l}=${r[`k${i}`] === null ? 'NULL' : String(r[`k${i}`])}`).join(', '));
    return { count, sampleKeys };
  }

  /** Runs one audit query; errors name the check and table, bad manifest input is permanent. */
  async run(sql: string, params: unknown[], what: string): Promise<Record<string, unknown>[]> {
    try {
      return await this.query(sql, params);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (this.dialect.isBadInput(err)) throw new BadInputError(`audit ${what}: ${e.message}`);
      // Keep the driver's error (its code decides retry/unreachable handling); only name the check.
      if (err instanceof Error) err.message = `audit ${what}: ${err.message}`;
      throw err;
    }
  }

  finding(f: Omit<AuditFinding, 'sampleKeys'> & { sampleKeys?: string[] }): AuditFinding {
    return { ...f, sampleKeys: f.sampleKeys ?? [] };
  }
}
