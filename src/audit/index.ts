export { runAudit, runAuditMssql, auditDatabase } from './runAudit';
export { describeBlocking } from '../contract/auditResult';
export { auditSource } from './auditSource';
export { mssqlAuditDialect } from '../engines/mssql/auditDialect';
export { postgresAuditDialect } from '../engines/postgres/auditDialect';
export type { AuditDialect, AuditQuery } from '../engines/auditDialect';
export type { AuditFinding, AuditResult, AuditOptions, AuditPolicy, AuditCheckName, AutomaticCheck } from '../contract/auditResult';
