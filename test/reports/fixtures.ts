import type { MigrationWaveResult, TenantMigrationResult } from '../../src/contract/migration';
import type { AuditResult } from '../../src/contract/auditResult';
import type { SchemaModel } from '../../src/engines/schemaModel';

const t0 = Date.parse('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

export const passedTenant: TenantMigrationResult = {
  tenantId: 'hotel-001',
  ok: true,
  rowsCopied: 1_234_567 + 4_200 + 12,
  bytesCopied: 987_654_321,
  tables: [
    { table: 'public.bookings', key: ['id'], sourceRows: 1_234_567, targetRows: 1_234_567, chunks: 124, bytes: 900_000_000, copyMs: 95_000, ranges: 4, chunksVerified: 124, checksumOk: true, resumedFromRows: 10_000 },
    { table: 'public.guests', key: ['id'], sourceRows: 4_200, targetRows: 4_200, chunks: 1, bytes: 87_000_000, copyMs: 3_100, ranges: 1, chunksVerified: 1, checksumOk: true },
    { table: 'public.settings', key: null, sourceRows: 12, targetRows: 12, chunks: 1, bytes: 654_321, copyMs: 40, ranges: 1, chunksVerified: 1, checksumOk: true },
    { table: 'public.empty_log', key: ['id'], sourceRows: 0, targetRows: 0, chunks: 0, bytes: 0, copyMs: 5, ranges: 1, chunksVerified: 0, checksumOk: true },
  ],
  phases: [
    { phase: 'prepare', startedAt: at(0), endedAt: at(2), ms: 2000 },
    { phase: 'audit', startedAt: at(2), endedAt: at(5), ms: 3000 },
    { phase: 'schema', startedAt: at(5), endedAt: at(6), ms: 1000 },
    { phase: 'copy', startedAt: at(6), endedAt: at(106), ms: 100_000 },
    { phase: 'post-data', startedAt: at(106), endedAt: at(130), ms: 24_000 },
    { phase: 'validate', startedAt: at(130), endedAt: at(170), ms: 40_000 },
  ],
  throughput: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((s, i) => ({
    at: at(6 + s), rows: Math.min(1_238_779, i * 124_000), bytes: Math.min(987_654_321, i * 98_000_000) })),
  validation: {
    mode: 'full', ok: true, tables: [],
    findings: [
      { check: 'integrity', table: 'public.bookings', ok: true, message: 'public.bookings: 9 column types, 1 keys, 2 indexes, 1 foreign keys, 0 checks, 1 sequences as planned' },
      { check: 'foreignKey', table: 'public.guests', ok: true, message: 'public.guests: foreign key guests_company_fk is NOT VALID as planned (untrusted in the source); 2 row(s) have no parent row' },
    ],
  },
};

export const passedAudit: AuditResult = {
  sourceKind: 'postgres', startedAt: at(2), finishedAt: at(5), ms: 3000, checksRun: 42, blocked: false,
  findings: [
    { check: 'pattern', table: 'public.guests', column: 'email', count: 17, sampleKeys: ['id=3', 'id=9'], policy: 'warn', message: 'public.guests.email: 17 rows do not match /^[^@]+@[^@]+$/' },
    { check: 'noKey', table: 'public.settings', count: 12, sampleKeys: [], policy: 'warn', message: 'public.settings has no primary or unique not-null key' },
  ],
};

export const passedModel: Pick<SchemaModel, 'sourceKind' | 'notes' | 'notMigrated'> = {
  sourceKind: 'mssql',
  notes: [{ severity: 'lossy', object: 'dbo.bookings.checkin', message: 'datetime2(7) -> timestamp(6): nanoseconds cut' }],
  notMigrated: [{ kind: 'procedure', name: 'dbo.usp_cleanup', reason: 'procedures are not migrated' }],
};

/** Hostile strings in every free-text field: the page must show them as text. */
export const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

export const failedTenant: TenantMigrationResult = {
  tenantId: 'hotel-002',
  ok: false,
  error: { type: 'ValidationMismatch', message: `public.rooms key range (100, 200]: source 100 rows, target 99 rows ${XSS}` },
  rowsCopied: 5_099,
  bytesCopied: 1_000_000,
  tables: [
    { table: 'public.rooms', key: ['id'], sourceRows: 5_000, targetRows: 4_999, chunks: 5, bytes: 900_000, copyMs: 1500, ranges: 1, chunksVerified: 5, checksumOk: false },
    { table: `public.${XSS}`, key: ['id'], sourceRows: 100, targetRows: 100, chunks: 1, bytes: 100_000, copyMs: 200, ranges: 1, chunksVerified: 1, checksumOk: true },
  ],
  phases: [
    { phase: 'schema', startedAt: at(0), endedAt: at(1), ms: 1000 },
    { phase: 'copy', startedAt: at(1), endedAt: at(4), ms: 3000 },
    { phase: 'validate', startedAt: at(4), endedAt: at(6), ms: 2000 },
  ],
  throughput: [{ at: at(1), rows: 0, bytes: 0 }, { at: at(2), rows: 2000, bytes: 400_000 }, { at: at(4), rows: 5_099, bytes: 1_000_000 }],
  validation: {
    mode: 'sample', ok: false, tables: [],
    findings: [{ check: 'index', table: 'public.rooms', ok: false, message: `public.rooms: index rooms_floor_idx (floor) is missing in the target ${XSS}` }],
  },
};

export const wave: MigrationWaveResult = {
  waveId: 'wave-2026-01',
  succeeded: [{ tenantId: 'hotel-001', ok: true, rowsCopied: passedTenant.rowsCopied, ms: 170_000 }],
  failed: [
    { tenantId: 'hotel-002', ok: false, error: failedTenant.error!.message, rowsCopied: 5_099, ms: 6_000 },
    { tenantId: 'hotel-003', ok: false, error: 'SourceMissing: source database "hotel003" does not exist on server "mssql-main"' },
  ],
};
