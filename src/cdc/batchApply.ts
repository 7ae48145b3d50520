/**
 * Applies a batch of source transactions to the target in ONE target transaction, together
 * with the stream position (the last commit's LSN). Apply is keyed and idempotent (upsert by
 * key, delete by key), so replaying changes over rows the chunked copy already read converges
 * to the source's state. Commits already covered by the stored position are skipped.
 */
import type { Client } from 'pg';
import { qualified, quoteIdent } from '../engines/postgres/quoting';
import type { TableModel } from '../engines/schemaModel';
import { compareLsn } from './lsn';
import type { Change, RowValues, SourceTransaction } from './changes';
import { advanceStreamPosition, readStreamPosition } from '../engines/postgres/checkpointStore';

/** How one source table is written in the target. */
export interface ApplyTable {
  /** `schema.name` in the source (as changes name it). */
  source: string;
  target: string;
  /** Non-generated columns: source name, quoted target name, target type. */
  columns: { source: string; target: string; type: string }[];
  /** Key columns (source names), in key order. */
  key: string[];
}

export function applyTableOf(t: TableModel): ApplyTable {
  if (!t.key?.length) throw new Error(`table ${t.schema}.${t.name} has no key`);
  return {
    source: `${t.schema}.${t.name}`,
    target: qualified(t.targetSchema, t.targetName),
    columns: t.columns.filter((c) => !c.generated).map((c) => ({ source: c.name, target: quoteIdent(c.targetName), type: c.targetType })),
    key: t.key,
  };
}

export interface ApplyOutcome {
  transactions: number;
  changes: number;
  /** Transactions at or below the stored position (a replayed batch): not applied again. */
  skipped: number;
  position: string | null;
  lastCommitTime: string | null;
  markers: string[];
}

const superuserOf = new WeakMap<Client, boolean>();

export async function applyBatch(db: Client, stream: string, tables: Map<string, ApplyTable>, batch: SourceTransaction[]): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { transactions: 0, changes: 0, skipped: 0, position: null, lastCommitTime: null, markers: [] };
  if (!batch.length) return out;
  if (!superuserOf.has(db)) {
    const r = await db.query<{ s: boolean }>('SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user');
    superuserOf.set(db, Boolean(r.rows[0]?.s));
  }
  await db.query('BEGIN');
  try {
    // Replica role: FK and user triggers stay quiet while the target passes through states the
    // source never had (copy and stream overlap); the source already enforced them.
    if (superuserOf.get(db)) await db.query('SET LOCAL session_replication_role = replica');
    await db.query('SET LOCAL transaction_read_only = off');
    const pos = await readStreamPosition(db, stream, true);
    if (!pos) throw new Error(`stream ${stream}: no stream position row in the target`);
    const fresh = batch.filter((t) => compareLsn(t.position, pos.lsn) > 0);
    out.skipped = batch.length - fresh.length;
    const changes = fresh.flatMap((t) => t.changes);
    await applyChanges(db, tables, changes);
    for (const t of fresh) out.markers.push(...t.markers);
    if (fresh.length) {
      const last = fresh[fresh.length - 1];
      await advanceStreamPosition(db, stream, { lsn: last.position, lastCommitTime: last.commitTime, changes: changes.length, transactions: fresh.length });
      out.position = last.position;
      out.lastCommitTime = last.commitTime;
    }
    await db.query('COMMIT');
    out.transactions = fresh.length;
    out.changes = changes.length;
    return out;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

type Segment =
  | { kind: 'upsert'; table: string; rows: RowValues[] }
  | { kind: 'delete'; table: string; keys: string[][] }
  | { kind: 'partial'; table: string; row: RowValues; oldKey: string[] | null }
  | { kind: 'truncate'; tables: string[] };

/** Consecutive changes of one kind on one table become one statement; order is kept. */
function segments(changes: Change[]): Segment[] {
  const out: Segment[] = [];
  const upsert = (table: string, row: RowValues) => {
    const last = out[out.length - 1];
    if (last?.kind === 'upsert' && last.table === table) last.rows.push(row);
    else out.push({ kind: 'upsert', table, rows: [row] });
  };
  const del = (table: string, key: string[]) => {
    const last = out[out.length - 1];
    if (last?.kind === 'delete' && last.table === table) last.keys.push(key);
    else out.push({ kind: 'delete', table, keys: [key] });
  };
  for (const c of changes) {
    switch (c.op) {
      case 'insert': upsert(c.table, c.row); break;
      case 'delete': del(c.table, c.key); break;
      case 'truncate': out.push({ kind: 'truncate', tables: c.tables }); break;
      case 'update':
        if (c.unchanged.length) out.push({ kind: 'partial', table: c.table, row: c.row, oldKey: c.oldKey });
        else {
          if (c.oldKey) del(c.table, c.oldKey);
          upsert(c.table, c.row);
        }
        break;
    }
  }
  return out;
}

async function applyChanges(db: Client, tables: Map<string, ApplyTable>, changes: Change[]): Promise<void> {
  const spec = (name: string) => {
    const t = tables.get(name);
    if (!t) throw new Error(`change to table ${name}, which the stream does not apply`);
    return t;
  };
  for (const s of segments(changes)) {
    if (s.kind === 'truncate') {
      await db.query(`TRUNCATE ONLY ${s.tables.map((t) => spec(t).target).join(', ')}`);
    } else if (s.kind === 'upsert') {
      await upsertRows(db, spec(s.table), s.rows);
    } else if (s.kind === 'delete') {
      await deleteKeys(db, spec(s.table), s.keys);
    } else {
      await partialUpdate(db, spec(s.table), s.row, s.oldKey);
    }
  }
}

const keyOf = (t: ApplyTable, row: RowValues) => t.key.map((k) => row[k] as string);

async function upsertRows(db: Client, t: ApplyTable, rows: RowValues[]): Promise<void> {
  // One statement cannot touch a row twice: within a run of full images the last one per key wins.
  const byKey = new Map<string, RowValues>();
  for (const r of rows) byKey.set(JSON.stringify(keyOf(t, r)), r);
  const images = [...byKey.values()];
  const cols = t.columns;
  const params = cols.map((c) => images.map((r) => (r[c.source] === undefined ? null : r[c.source])));
  const keyTargets = t.key.map((k) => cols.find((c) => c.source === k)!.target);
  const nonKey = cols.filter((c) => !t.key.includes(c.source));
  const onConflict = nonKey.length
    ? `DO UPDATE SET ${nonKey.map((c) => `${c.target} = EXCLUDED.${c.target}`).join(', ')}`
    : 'DO NOTHING';
  await db.query(
    `INSERT INTO ${t.target} (${cols.map((c) => c.target).join(', ')})
     SELECT ${cols.map((c, i) => `u.a${i}::${c.type}`).join(', ')} FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${cols.map((_, i) => `a${i}`).join(', ')})
     ON CONFLICT (${keyTargets.join(', ')}) ${onConflict}`, params);
}

async function deleteKeys(db: Client, t: ApplyTable, keys: string[][]): Promise<void> {
  const keyCols = t.key.map((k) => t.columns.find((c) => c.source === k)!);
  const params = keyCols.map((_, i) => keys.map((k) => k[i]));
  await db.query(
    `DELETE FROM ${t.target} AS t USING unnest(${keyCols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${keyCols.map((_, i) => `a${i}`).join(', ')})
     WHERE ${keyCols.map((c, i) => `t.${c.target} = u.a${i}::${c.type}`).join(' AND ')}`, params);
}

/**
 * An update that left TOASTed columns out: only the sent columns are set, on the row as it
 * is in the target. A key change moves the row (keeping its unsent values) unless the copy
 * already holds the row under its new key.
 */
async function partialUpdate(db: Client, t: ApplyTable, row: RowValues, oldKey: string[] | null): Promise<void> {
  const sent = t.columns.filter((c) => row[c.source] !== undefined);
  const params: (string | null)[] = sent.map((c) => row[c.source] as string | null);
  const setList = sent.map((c, i) => `${c.target} = $${i + 1}::${c.type}`).join(', ');
  const keyCols = t.key.map((k) => t.columns.find((c) => c.source === k)!);
  const where = (alias: string, offset: number) => keyCols.map((c, i) => `${alias}${c.target} = $${offset + i + 1}::${c.type}`).join(' AND ');
  const newKey = keyOf(t, row);
  if (!oldKey) {
    if (sent.length) await db.query(`UPDATE ${t.target} SET ${setList} WHERE ${where('', sent.length)}`, [...params, ...newKey]);
    return;
  }
  const n = sent.length;
  await db.query(`UPDATE ${t.target} SET ${setList} WHERE ${where('', n)} AND NOT EXISTS (SELECT 1 FROM ${t.target} x WHERE ${where('x.', n + keyCols.length)})`,
    [...params, ...oldKey, ...newKey]);
  await db.query(`UPDATE ${t.target} SET ${setList} WHERE ${where('', n)}`, [...params, ...newKey]);
  await db.query(`DELETE FROM ${t.target} WHERE ${where('', 0)}`, oldKey);
}
