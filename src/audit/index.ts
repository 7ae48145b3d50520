export { runAudit, auditDatabase, describeBlocking } from './runAudit';
export { postgresAuditDialect } from './postgresDialect';
export type { AuditDialect, AuditQuery } from './dialect';
export type { AuditFinding, AuditResult, AuditOptions, AuditPolicy, AuditCheckName, AutomaticCheck } from './types';
