export { writeTenantReport, writeWaveReport, readTenantReport, readWaveReport } from './writeReports';
export { publishTenantReport, publishWaveReport, type PublishedReport } from './publish';
export { buildTenantReport, type TenantReportContext } from './buildTenantReport';
export { buildWaveReport } from './buildWaveReport';
export { uploadReportFiles, fetchMissingReportFiles, reportObjectKey } from './s3Upload';
export { tenantReportFiles, waveReportFiles } from './paths';
export { REPORT_SCHEMA_VERSION, tenantReportSchema, waveReportSchema, type TenantReport, type WaveReport } from './reportSchema';
