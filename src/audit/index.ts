export { runAudit, runAuditMssql, auditDatabase, describeBlocking } from './runAudit';
export { mssqlAuditDialect } from './mssqlDialect';
export { postgresAuditDialect } from './postgresDialect';
export type { AuditDialect, AuditQuery } from './dialect';
export type { AuditFinding, AuditResult, AuditOptions, AuditPolicy, AuditCheckName, AutomaticCheck } from './types';
