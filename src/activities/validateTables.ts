import { classified, config, heartbeat, throwIfCancelled, withHeartbeats } from './activityContext';
import { openTarget } from '../config/openEngines';
import { openTenantSource } from '../split/sliceSource';
import { readCheckpoints, readChunkRecords } from '../engines/postgres/checkpointStore';
import type { Checkpoint, ChunkRecord } from '../engines/postgres/checkpointStore';
import type { PostgresTarget } from '../engines/postgres/target';
import type { Client } from 'pg';
import type { TableModel } from '../engines/schemaModel';
import { FULL_RANGE, type SourceEngine } from '../engines/sourceEngine';
import { combineMultiset, isBinaryKind } from '../engines/copyText';
import type { ChecksumKind } from '../engines/copyText';
import { hashStream } from '../validation/hashStream';
import { chunkSelected } from '../validation/sampling';
import { compareCensus, currentXact, xminCensus } from '../validation/xminCensus';
import { targetShape } from '../engines/postgres/source';
import { findTable, loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import { recordValidation } from '../metrics/migratorMetrics';
import type { TableResult } from '../contract/migration';

export interface TableValidation extends TableResult {
  mismatches: string[];
}

/** Target sessions reading chunks cold at once within one validation activity. */
const READ_LANES = 2;

const fmtKey = (k: string[] | null) => (k === null ? '-inf' : `(${k.join(', ')})`);

/**
 * Proves one table equal: row counts on both sides, the chunks' rows adding up to both counts, and
 * each chunk's target checksum equal to the checksum taken from the source rows at copy time.
 *
 * Fast (default): the target checksum is the one read back inside the chunk's own transaction
 * before it committed, and an xmin census (validation/xminCensus.ts) proves the target rows are
 * still exactly the rows those transactions wrote; no row content is read. When the census finds
 * rows written or removed since, when the chunks predate these records (an older version wrote
 * them), or with `recheck`, chunks are re-read cold from the target by their key range instead.
 */
export interface ValidateTableRequest {
  table: string;
  mode: 'full' | 'sample';
  sampleRate: number;
  /** Validate one key range only (large tables are validated range by range, in parallel). */
  rangeId?: number;
  /** Re-read every selected chunk from the source too (not only a sample). */
  recheckSource?: boolean;
  /** Re-read the selected chunks cold from the target (every chunk in full mode), ignoring the copy-time read-back and the census. */
  recheck?: boolean;
}

/** Has the copy-time evidence the fast path needs (chunks written by this version). */
const hasFastEvidence = (c: ChunkRecord): c is ChunkRecord & { targetChecksum: string; xact: string } => c.targetChecksum !== null && c.xact !== null;

/** The source engine and target session one validation call works with (a batch of tables shares them). */
interface ValidationSessions {
  engine: SourceEngine;
  target: PostgresTarget;
  db: Client;
}

async function openSessions(t: TenantRef): Promise<ValidationSessions> {
  const cfg = config();
  const engine = await openTenantSource(cfg, t.source, t.options);
  try {
    const target = openTarget(cfg, t.target);
    return { engine, target, db: await target.connect(`tmig-validate ${t.tenantId}`) };
  } catch (err) {
    await engine.close();
    throw err;
  }
}

async function closeSessions(s: ValidationSessions): Promise<void> {
  await s.db.end().catch(() => undefined);
  await s.engine.close();
}

/** Opens the sessions, runs `body`, closes them. */
async function withSessions<T>(t: TenantRef, body: (s: ValidationSessions) => Promise<T>): Promise<T> {
  const sessions = await openSessions(t);
  try {
    return await body(sessions);
  } finally {
    await closeSessions(sessions);
  }
}

export async function validateTable(t: TenantRef, req: ValidateTableRequest): Promise<TableValidation> {
  const what = req.rangeId === undefined ? req.table : `${req.table} range ${req.rangeId}`;
  return classified(`${tenantLabel(t)}: validate ${what}`, () => withSessions(t, (sessions) => validateOne(t, req, sessions)));
}

/** One table (or range) on open sessions. */
async function validateOne(t: TenantRef, req: ValidateTableRequest, sessions: ValidationSessions): Promise<TableValidation> {
  const { engine, target, db } = sessions;
  const model = await loadModel(t);
  const table = findTable(model, req.table, t.tenantId);
  let verified = 0;
  let sourceRereads = 0;
  let targetRereads = 0;
  return await withHeartbeats(() => ({ table: req.table, verified }), async () => {
    const mismatches: string[] = [];
    const inScope = (rangeId: number) => req.rangeId === undefined || rangeId === req.rangeId;
    const allChunks = await readChunkRecords(db, req.table);
    const allCheckpoints = await readCheckpoints(db, req.table);
    if (!table.key && allCheckpoints.length > 1) {
      const r = await validateKeylessRanges({ req, table, engine, target, db, allChunks, allCheckpoints, onChunk: (reread, cold) => {
        verified++; if (reread) sourceRereads++; if (cold) targetRereads++;
      } });
      return { ...r, chunksVerified: verified, sourceChunksReread: sourceRereads, targetChunksReread: targetRereads };
    }
    const chunks = allChunks.filter((c) => inScope(c.rangeId));
    const checkpoints = allCheckpoints.filter((c) => inScope(c.rangeId));
    const scope = req.rangeId === undefined ? undefined : checkpoints[0]?.range;
    if (req.rangeId !== undefined && !scope) throw new Error(`no key range ${req.rangeId} recorded for ${req.table}`);
    // The census replaces the target's count(*) (same scan, grouped by xmin).
    const fast = !req.recheck && chunks.every(hasFastEvidence);
    const [sourceRows, census] = await Promise.all([
      engine.count(table, scope),
      fast ? Promise.all([xminCensus(db, targetShape(table), scope ?? FULL_RANGE), currentXact(db)])
        .then(([c, now]) => compareCensus(c, chunks.filter(hasFastEvidence), now)) : Promise.resolve(undefined),
    ]);
    // Every chunk re-read cold and the chunks tiling each range (the first from the range's start, the
    // last read on to the range's end): the rows read are the target's count, so no separate count(*)
    // scan. A row added after the copy beyond the last copied key is read (and fails) with the last chunk.
    const covering = census === undefined && req.mode === 'full'
      && checkpoints.every((cp) => { const own = chunks.filter((c) => c.rangeId === cp.rangeId); return own.length > 0 && own[0].afterKey === null; });
    let targetRows = census ? census.rows : covering ? 0 : await target.count(db, table, scope);
    const chunkRowSum = chunks.reduce((s, c) => s + c.rows, 0);
    const prefix = req.rangeId === undefined ? '' : `range ${req.rangeId} `;
    const countChecks = () => {
      if (sourceRows !== targetRows) mismatches.push(`${prefix}row count: source ${sourceRows}, target ${targetRows}`);
      if (chunkRowSum !== sourceRows) mismatches.push(`${prefix}copied chunks hold ${chunkRowSum} rows, source has ${sourceRows}`);
      if (checkpoints.some((c) => !c.done)) mismatches.push(`${prefix}copy did not finish every key range`);
    };
    if (!covering) countChecks();
    // The census found the target written since the copy: every chunk is re-read cold, to name what changed.
    const coldAll = census !== undefined && !census.ok;
    const sampleRate = req.mode === 'full' || coldAll ? 1 : req.sampleRate;
    // Chunks to check, in order; the cold reads then run on READ_LANES target sessions at once (one
    // stream leaves the server's output and this process's hashing taking turns, not both busy).
    const work = chunks.map((c, i) => ({ c, lastOfRange: chunks[i + 1]?.rangeId !== c.rangeId }))
      .filter(({ c, lastOfRange }) => census?.ok === true || chunkSelected(req.table, c.rangeId, c.chunkNo, lastOfRange, sampleRate));
    const found: string[][] = work.map(() => []);
    const coldReads = census?.ok === true ? 0 : work.length;
    const lanes = [db];
    // The source engine has one session: its re-reads take turns (a session runs one query at a time).
    let sourceTurn: Promise<unknown> = Promise.resolve();
    const onSource = <T>(read: () => Promise<T>): Promise<T> => {
      const p = sourceTurn.then(read);
      sourceTurn = p.catch(() => undefined);
      return p;
    };
    try {
      while (lanes.length < Math.min(READ_LANES, coldReads)) lanes.push(await target.connect(`tmig-validate ${t.tenantId}`));
      let next = 0;
      await Promise.all(lanes.map(async (lane) => {
        for (let w = next++; w < work.length; w = next++) {
          throwIfCancelled();
          const { c, lastOfRange } = work[w];
          const selected = chunkSelected(req.table, c.rangeId, c.chunkNo, lastOfRange, req.mode === 'full' ? 1 : req.sampleRate);
          // Recorded evidence costs nothing: every chunk's is compared. Cold re-reads follow the sample.
          const recorded = census?.ok === true;
          const range = checkpoints.find((cp) => cp.rangeId === c.rangeId)?.range ?? { lo: null, hi: null };
          const bounds = { range, after: c.afterKey, upTo: covering && lastOfRange ? null : c.lastKey, limit: null };
          const kind = c.checksumKind as ChecksumKind;
          // The source was checksummed as it was read for the copy. Re-reading it only proves it did not
          // change since: done for a sample (always the first and last chunk of each range), or for every
          // chunk with recheckSource.
          const sourceToo = selected && (req.recheckSource || req.mode === 'sample' || chunkSelected(`${req.table}#source`, c.rangeId, c.chunkNo, lastOfRange, req.sampleRate));
          // Each chunk is read in the format its checksum was taken in (binary COPY or canonical text).
          const binary = isBinaryKind(kind);
          const [src, tgt] = await Promise.all([
            sourceToo ? onSource(() => engine.readChunk({ table, ...bounds, ...(binary ? { binary } : {}) }).then((x) => hashStream(x, kind))) : Promise.resolve(undefined),
            recorded ? Promise.resolve({ rows: c.rows, checksum: c.targetChecksum! }) : hashStream(target.readBack(lane, table, bounds, binary), kind),
          ]);
          // Key values only when asked for (options.reportKeys): they may be personal data.
          const where = `range ${c.rangeId} chunk ${c.chunkNo}${t.options?.reportKeys ? ` keys ${fmtKey(c.afterKey)} < key <= ${fmtKey(c.lastKey)}` : ''}`;
          if ((src && src.rows !== c.rows) || tgt.rows !== c.rows) {
            found[w].push(`${where}: rows copied ${c.rows}, ${src ? `source now ${src.rows}, ` : ''}target ${tgt.rows}`);
          } else if (src && src.checksum !== c.checksum) {
            found[w].push(`${where}: source checksum changed since copy (source modified during the run?)`);
          } else if (tgt.checksum !== c.checksum) {
            found[w].push(`${where}: target rows differ from source rows (${c.rows} rows, checksum ${tgt.checksum.slice(0, 12)} != ${c.checksum.slice(0, 12)}${recorded ? ', read back when written' : ''})`);
          }
          if (src) sourceRereads++;
          if (!recorded) targetRereads++;
          if (covering) targetRows += tgt.rows;
          verified++;
          heartbeat({ table: req.table, verified });
        }
      }));
    } finally {
      for (const extra of lanes.slice(1)) await extra.end().catch(() => undefined);
    }
    if (covering) countChecks();
    // In chunk order, whichever lane found them.
    for (const f of found) mismatches.push(...f);
    // Rows changed since the copy but every chunk re-read equal (e.g. a value updated to itself): nothing to fail.
    recordValidation(t, verified, mismatches.length);
    return {
      table: req.table, key: table.key, sourceRows, targetRows, chunks: chunks.length,
      bytes: chunks.reduce((s, c) => s + c.bytes, 0), copyMs: 0, ranges: checkpoints.length,
      chunksVerified: verified, sourceChunksReread: sourceRereads, targetChunksReread: targetRereads,
      checksumOk: mismatches.length === 0, mismatches, resumedFromRows: resumedFrom(chunks),
    };
  });
}

/**
 * A keyless table copied in ctid page ranges. The target's rows sit on other pages, so the target
 * is checked as a whole (by the job of the first range): its multiset checksum must equal the
 * combination of every range's checksum taken from the source at copy time — from the target
 * checksums read back at copy time when the xmin census holds, else read cold. Each range's source
 * rows are re-read by page range (a row moved between pages during the copy shows here).
 */
async function validateKeylessRanges(x: {
  req: ValidateTableRequest; table: TableModel; engine: SourceEngine; target: PostgresTarget; db: Client;
  allChunks: ChunkRecord[]; allCheckpoints: Checkpoint[]; onChunk: (sourceReread: boolean, targetReread: boolean) => void;
}): Promise<TableValidation> {
  const { req, table, engine, target, db, allChunks, allCheckpoints } = x;
  const mismatches: string[] = [];
  const wholeTableJob = req.rangeId === undefined || req.rangeId === allCheckpoints[0].rangeId;
  let sourceRows = 0;
  let targetRows = 0;
  let cold = false;
  if (wholeTableJob) {
    const fast = !req.recheck && allChunks.every(hasFastEvidence);
    const census = fast
      ? compareCensus(await xminCensus(db, targetShape(table), FULL_RANGE), allChunks.filter(hasFastEvidence), await currentXact(db)) : undefined;
    [sourceRows, targetRows] = await Promise.all([engine.count(table), census ? census.rows : target.count(db, table)]);
    const chunkRowSum = allChunks.reduce((s, c) => s + c.rows, 0);
    if (sourceRows !== targetRows) mismatches.push(`row count: source ${sourceRows}, target ${targetRows}`);
    if (chunkRowSum !== sourceRows) mismatches.push(`copied page ranges hold ${chunkRowSum} rows, source has ${sourceRows}`);
    if (allCheckpoints.some((c) => !c.done)) mismatches.push('copy did not finish every page range');
    cold = !census?.ok;
    const tgt = cold
      ? await hashStream(target.readBack(db, table, { range: FULL_RANGE, after: null, upTo: null, limit: null }), 'multiset-sha256')
      : { rows: census!.rows, checksum: combineMultiset(allChunks.map((c) => c.targetChecksum!)) };
    if (tgt.checksum !== combineMultiset(allChunks.map((c) => c.checksum))) {
      mismatches.push(`target rows differ from the rows copied in ${allCheckpoints.length} page ranges (${tgt.rows} rows${cold ? '' : ', read back when written'})`);
    }
  }
  const scoped = allChunks.filter((c) => req.rangeId === undefined || c.rangeId === req.rangeId);
  const rangeOrder = allCheckpoints.map((cp) => cp.rangeId);
  for (const [i, c] of scoped.entries()) {
    throwIfCancelled();
    // The target is proven whole above; re-reading the source only shows it did not change since the
    // copy. Page ranges are sampled as a keyed table's chunks are: the first and the last range
    // always, the others at the sample rate (every range with recheckSource).
    const at = rangeOrder.indexOf(c.rangeId);
    const reread = req.recheckSource || chunkSelected(`${req.table}#source`, 0, at + 1, at === rangeOrder.length - 1, req.sampleRate);
    if (reread) {
      const range = allCheckpoints.find((cp) => cp.rangeId === c.rangeId)!.range;
      const src = await hashStream(await engine.readChunk({ table, range, after: null, limit: null }), 'multiset-sha256');
      if (src.rows !== c.rows || src.checksum !== c.checksum) {
        mismatches.push(`page range ${c.rangeId}: source now ${src.rows} rows, copied ${c.rows}${src.rows === c.rows ? ', contents changed' : ''} (source modified during the run?)`);
      }
    }
    // The whole-table job read the target once (cold): counted on its first range.
    x.onChunk(reread, cold && i === 0);
  }
  return {
    table: req.table, key: null, sourceRows, targetRows, chunks: scoped.length, bytes: scoped.reduce((s, c) => s + c.bytes, 0), copyMs: 0,
    ranges: req.rangeId === undefined ? allCheckpoints.length : 1, chunksVerified: 0, sourceChunksReread: 0,
    checksumOk: mismatches.length === 0, mismatches: mismatches.map((m) => (req.rangeId === undefined ? m : `range ${req.rangeId} ${m}`)),
    resumedFromRows: resumedFrom(scoped),
  };
}

/** Per range, the rows committed before the first chunk a retried attempt wrote; summed, or undefined. */
export function resumedFrom(chunks: { rangeId: number; rows: number; attempt: number }[]): number | undefined {
  let total: number | undefined;
  for (const rangeId of new Set(chunks.map((c) => c.rangeId))) {
    const own = chunks.filter((c) => c.rangeId === rangeId);
    const first = own.findIndex((c) => c.attempt > 1);
    if (first >= 0) total = (total ?? 0) + own.slice(0, first).reduce((s, c) => s + c.rows, 0);
  }
  return total;
}

/** Several small tables in one activity: a fleet of small tenants pays one round trip, not one per table. */
export async function validateTables(t: TenantRef, req: Omit<ValidateTableRequest, 'table' | 'rangeId'> & { tables: string[] }): Promise<TableValidation[]> {
  // (Whole tables; ranges of large tables go through validateTable one by one.)
  // One source engine and one target session for the whole batch (not a pair per table); a
  // failure still names the table it happened at.
  let sessions: ValidationSessions | undefined;
  try {
    const out: TableValidation[] = [];
    for (const table of req.tables) {
      out.push(await classified(`${tenantLabel(t)}: validate ${table}`, async () => {
        sessions ??= await openSessions(t);
        return validateOne(t, { ...req, table }, sessions);
      }));
    }
    return out;
  } finally {
    if (sessions) await closeSessions(sessions);
  }
}
