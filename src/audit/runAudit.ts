import type { Client } from 'pg';
import type { ConnectionPool } from 'mssql';
import type { SchemaModel } from '../engines/schemaModel';
import type { AuditCheckSpec } from '../contract/migration';
import type { AuditDialect, AuditQuery } from '../engines/auditDialect';
import type { AuditFinding, AuditOptions, AuditResult } from '../contract/auditResult';
import { AuditContext } from './auditContext';
import { checkIdentityOverflow, checkLossyTypes, checkNoKey, checkOrphans, checkWideRows } from './automaticChecks';
import { runDeclaredCheck } from './declaredChecks';
import { checkSliceScans } from './sliceChecks';
import { postgresAuditDialect } from '../engines/postgres/auditDialect';
import { mssqlAuditDialect } from '../engines/mssql/auditDialect';

/**
 * The engine-neutral audit: automatic checks from the schema model, then the manifest's checks.
 * Read-only; safe to run twice.
 */
export async function auditDatabase(dialect: AuditDialect, query: AuditQuery, model: SchemaModel,
  checks: AuditCheckSpec[] = [], options: AuditOptions = {}): Promise<AuditResult> {
  const started = Date.now();
  const ctx = new AuditContext(dialect, query, options);
  const findings: AuditFinding[] = [];

  for (const table of model.tables) {
    findings.push(...await checkNoKey(ctx, table));
    findings.push(...await checkIdentityOverflow(ctx, table));
    findings.push(...await checkWideRows(ctx, table));
    for (const fk of table.foreignKeys) findings.push(...await checkOrphans(ctx, model, table, fk));
  }
  findings.push(...await checkLossyTypes(ctx, model));
  findings.push(...checkSliceScans(ctx, model));
  for (const [i, spec] of checks.entries()) findings.push(...await runDeclaredCheck(ctx, model, spec, i));

  const finished = Date.now();
  return {
    sourceKind: model.sourceKind,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    ms: finished - started,
    checksRun: ctx.checksRun,
    findings,
    blocked: findings.some((f) => f.policy === 'block'),
  };
}

/** Audits a PostgreSQL source through an open client (canonical session settings expected). */
export async function runAudit(client: Client, model: SchemaModel, checks: AuditCheckSpec[] = [],
  options: AuditOptions = {}): Promise<AuditResult> {
  const query: AuditQuery = async (sql, params) => (await client.query(sql, params)).rows;
  return auditDatabase(postgresAuditDialect, query, model, checks, options);
}

/** Audits a SQL Server source through an open pool; parameters bind as @p1, @p2, ... */
export async function runAuditMssql(pool: ConnectionPool, model: SchemaModel, checks: AuditCheckSpec[] = [],
  options: AuditOptions = {}): Promise<AuditResult> {
  const query: AuditQuery = async (sql, params = []) => {
    const request = pool.request();
    params.forEach((v, i) => request.input(`p${i + 1}`, v));
    return (await request.query(sql)).recordset as Record<string, unknown>[];
  };
  return auditDatabase(mssqlAuditDialect, query, model, checks, options);
}
