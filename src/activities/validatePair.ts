/**
 * Activities of `tmig validate` on a pair without tmig's bookkeeping: detect it, then compare
 * every table range by range from a source description (nothing is written to either side).
 */
import { classified, config, heartbeat, throwIfCancelled, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { tableLabel } from '../engines/schemaModel';
import { comparePairTable, describeDifference } from '../validation/pairCompare';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import type { TableResult, ValidationFinding, ValidationResult } from '../contract/migration';

/** True when the target has tmig's bookkeeping (then the recorded chunks are validated instead). */
export async function targetHasBookkeeping(t: TenantRef): Promise<boolean> {
  return classified(`${tenantLabel(t)}: inspect ${t.target.server}/${t.target.database}`, async () => {
    const db = await openTarget(config(), t.target).connect();
    try {
      const r = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_tmig' AND c.relname = 'model'`);
      return (r.rowCount ?? 0) > 0;
    } finally {
      await db.end();
    }
  });
}

export async function validateUnmanagedPair(t: TenantRef, req: { mode: 'full' | 'sample'; sampleRate: number }): Promise<ValidationResult> {
  return classified(`${tenantLabel(t)}: compare ${t.source.server}/${t.source.database} with ${t.target.server}/${t.target.database}`, async () => {
    const cfg = config();
    const engine = await openTenantSource(cfg, t.source, t.options);
    const target = openTarget(cfg, t.target);
    const db = await target.connect(`tmig-validate ${t.tenantId}`);
    let ranges = 0;
    try {
      return await withHeartbeats(() => ({ phase: 'compare', ranges }), async () => {
        const model = await engine.describe();
        const present = new Set((await db.query<{ t: string }>(`SELECT n.nspname || '.' || c.relname AS t FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`)).rows.map((r) => r.t));
        const tables: TableResult[] = [];
        const findings: ValidationFinding[] = [];
        for (const table of model.tables) {
          throwIfCancelled();
          const label = `${table.targetSchema}.${table.targetName}`;
          if (!present.has(label)) {
            findings.push({ check: 'table', table: label, ok: false, message: `${label}: table of the source (${tableLabel(table)}) is missing in the target` });
            continue;
          }
          const c = await comparePairTable(engine, target, db, table, {
            sampleRate: req.mode === 'full' ? 1 : req.sampleRate, reportKeys: t.options?.reportKeys ?? false,
            onRange: () => { ranges++; heartbeat({ phase: 'compare', ranges }); },
          });
          tables.push({ table: label, key: c.key, sourceRows: c.sourceRows, targetRows: c.targetRows, chunks: c.ranges, bytes: 0, copyMs: 0,
            ranges: c.ranges, chunksVerified: c.rangesCompared, sourceChunksReread: c.rangesCompared, checksumOk: c.differences.length === 0 });
          if (c.sourceRows !== c.targetRows) findings.push({ check: 'rowCount', table: label, ok: false, message: `${label}: row count: source ${c.sourceRows}, target ${c.targetRows}` });
          for (const d of c.differences) findings.push({ check: 'ranges', table: label, ok: false, message: describeDifference(c, d) });
          if (!c.differences.length) findings.push({ check: 'ranges', table: label, ok: true, message: `${label}: equal (${c.rangesCompared} of ${c.ranges} ranges compared, ${c.sourceRows} rows)` });
        }
        const failed = findings.filter((f) => !f.ok);
        return { mode: req.mode, ok: failed.length === 0, tables, findings: [...failed, ...findings.filter((f) => f.ok)] };
      });
    } finally {
      await db.end().catch(() => undefined);
      await engine.close();
    }
  });
}
