export { runAudit, runAuditMssql, auditDatabase } from './runAudit';
export { describeBlocking } from './blocking';
export { auditSource } from './auditSource';
export { mssqlAuditDialect } from './mssqlDialect';
export { postgresAuditDialect } from './postgresDialect';
export type { AuditDialect, AuditQuery } from './dialect';
export type { AuditFinding, AuditResult, AuditOptions, AuditPolicy, AuditCheckName, AutomaticCheck } from './types';
