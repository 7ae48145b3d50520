import type { Client } from 'pg';
import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import type { ColumnModel, SchemaModel, TableModel } from '../schemaModel';
import type { DatabaseLocale, DdlStep, KeyRange, ReadChunkRequest, SequenceState, SourceEngine } from '../sourceEngine';
import { FULL_RANGE } from '../sourceEngine';
import { connectPg, type PgEndpoint } from './connection';
import { chunkCopyOut, countQuery, type PgTableShape } from './chunkQuery';
import { dumpSections, dumpSectionsAhead, splitPostData, stripMetaCommands } from './pgDump';
import { keyExpr, onlyTable, qualified, quoteIdent } from './quoting';
import { FailureType, PermanentError } from '../../contract/failures';

const integerTypes = new Set(['smallint', 'integer', 'bigint']);
const fkAction: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** PostgreSQL source: catalog-driven model, pg_dump for DDL, COPY for data (bytes pass straight through). */
export class PostgresSourceEngine implements SourceEngine {
  readonly kind = 'postgres';
  private client: Client | undefined;
  /** Both schema sections, dumped once per engine (createSchema asks for pre- and post-data together). */
  private sections: Promise<{ preData: string; postData: string }> | undefined;

  constructor(private readonly ep: PgEndpoint) {}

  private async db(): Promise<Client> {
    this.client ??= await connectPg(this.ep, { role: 'source' });
    return this.client;
  }

  async describe(): Promise<SchemaModel> {
    const db = await this.db();
    await this.refuseUnsupported(db);
    const tables = await db.query<{ oid: number; nspname: string; relname: string; reltuples: string; relbytes: string }>(`
      SELECT c.oid, n.nspname, c.relname, c.reltuples::bigint::text AS reltuples,
             pg_relation_size(c.oid)::text AS relbytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', '_tmig')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname, c.relname`);
    const columns = await db.query<{ attrelid: number; attname: string; type: string; notnull: boolean; generated: string; identity: string; def: string | null }>(`
      SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
             a.attgenerated AS generated, a.attidentity AS identity, pg_get_expr(d.adbin, d.adrelid) AS def
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped
        AND a.attrelid IN (SELECT c.oid FROM pg_class c WHERE c.relkind = 'r')
      ORDER BY a.attrelid, a.attnum`);
    // Usable keys: the primary key, else a unique, immediate, non-partial, non-expression index on NOT NULL columns.
    const keys = await db.query<{ indrelid: number; cols: string[]; primary: boolean }>(`
      SELECT i.indrelid, i.indisprimary AS primary,
             array_agg(a.attname::text ORDER BY k.ord) AS cols
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
      GROUP BY i.indexrelid, i.indrelid, i.indisprimary
      HAVING bool_and(a.attnotnull)
      ORDER BY i.indrelid, i.indisprimary DESC, count(*), i.indexrelid`);
    const indexes = await db.query<{ indrelid: number; name: string; unique: boolean; primary: boolean; cols: string[]; partial: boolean }>(`
      SELECT x.indrelid, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary, x.indpred IS NOT NULL AS partial,
             array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid AND t.relkind = 'r'
      ORDER BY x.indrelid, i.relname`);
    const fks = await db.query<{ conrelid: number; name: string; validated: boolean; ref_schema: string; ref_table: string; cols: string[]; ref_cols: string[]; del: string; upd: string }>(`
      SELECT con.conrelid, con.conname AS name, con.convalidated AS validated, rn.nspname AS ref_schema, rc.relname AS ref_table,
             con.confdeltype AS del, con.confupdtype AS upd,
             array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a
                   ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
             array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a
                   ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_cols
      FROM pg_constraint con JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE con.contype = 'f' ORDER BY con.conrelid, con.conname`);
    const checks = await db.query<{ conrelid: number; name: string; expr: string }>(`
      SELECT conrelid, conname AS name, pg_get_constraintdef(oid) AS expr FROM pg_constraint
      WHERE contype = 'c' AND conrelid <> 0 ORDER BY conrelid, conname`);
    const group = <T extends object>(rows: T[], key: (r: T) => number) => {
      const m = new Map<number, T[]>();
      for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
      return m;
    };
    const idxByRel = group(indexes.rows, (r) => r.indrelid);
    const fkByRel = group(fks.rows, (r) => r.conrelid);
    const ckByRel = group(checks.rows, (r) => r.conrelid);
    const byRel = new Map<number, ColumnModel[]>();
    for (const c of columns.rows) {
      const list = byRel.get(c.attrelid) ?? [];
      list.push({
        name: c.attname, targetName: c.attname, sourceType: c.type, targetType: c.type, nullable: !c.notnull,
        generated: c.generated !== '',
        identity: c.identity ? { seed: '', increment: '', always: c.identity === 'a' } : undefined,
        defaultExpr: c.def ?? undefined,
      });
      byRel.set(c.attrelid, list);
    }
    const keyByRel = new Map<number, string[]>();
    for (const k of keys.rows) if (!keyByRel.has(k.indrelid)) keyByRel.set(k.indrelid, k.cols);

    const model: TableModel[] = tables.rows.map((t) => {
      const rows = Number(t.reltuples);
      const bytes = Number(t.relbytes);
      const estimatedRows = rows >= 0 ? rows : Math.ceil(bytes / 100);
      return {
        schema: t.nspname, name: t.relname, targetSchema: t.nspname, targetName: t.relname,
        columns: byRel.get(t.oid) ?? [],
        key: keyByRel.get(t.oid) ?? null,
        estimatedRows,
        avgRowBytes: estimatedRows > 0 ? Math.max(1, Math.round(bytes / estimatedRows)) : undefined,
        indexes: (idxByRel.get(t.oid) ?? []).map((i) => ({
          name: i.name, targetName: i.name, unique: i.unique, primaryKey: i.primary, include: [],
          columns: i.cols.map((name) => ({ name, descending: false })), where: i.partial ? '(partial)' : undefined,
        })),
        foreignKeys: (fkByRel.get(t.oid) ?? []).map((f) => ({
          name: f.name, targetName: f.name, columns: f.cols, refSchema: f.ref_schema, refTable: f.ref_table, refColumns: f.ref_cols,
          onDelete: fkAction[f.del] ?? 'NO ACTION', onUpdate: fkAction[f.upd] ?? 'NO ACTION', trusted: f.validated,
        })),
        checks: (ckByRel.get(t.oid) ?? []).map((c) => ({ name: c.name, targetName: c.name, expression: c.expr })),
      };
    });
    const notes = model.filter((t) => !t.key).map((t) => ({
      severity: 'info' as const, object: `${t.schema}.${t.name}`,
      message: 'no primary or unique not-null key: copied in ctid page ranges (one transaction and checkpoint each; a retry redoes one range), validated as a whole',
    }));
    return { sourceKind: 'postgres', tables: model, notMigrated: [], notes };
  }

  /** Features whose data the copy would silently leave behind: refused before anything is copied. */
  private async refuseUnsupported(db: Client): Promise<void> {
    const lo = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_largeobject_metadata');
    if (lo.rows[0].n > 0) {
      throw new PermanentError(FailureType.UnsupportedFeature,
        `source database "${this.ep.database}" on "${this.ep.serverName}" has ${lo.rows[0].n} large object(s) (pg_largeobject): ` +
        'tmig copies tables only and would leave them empty; refused before the copy (move them with pg_dump --large-objects, or into bytea columns)');
    }
  }

  private dumped(): Promise<{ preData: string; postData: string }> {
    this.sections ??= dumpSections(this.ep);
    this.sections.catch(() => { this.sections = undefined; }); // a failed dump is not kept
    return this.sections;
  }

  prefetchSchema(): void {
    if (!this.sections) dumpSectionsAhead(this.ep);
  }

  async preDataSteps(): Promise<DdlStep[]> {
    const sql = stripMetaCommands((await this.dumped()).preData);
    return [{ label: 'pre-data', sql, group: 0 }];
  }

  async postDataSteps(): Promise<DdlStep[]> {
    // tmig's own change-capture publications (online migration) belong to the source only.
    const steps = splitPostData((await this.dumped()).postData).filter((s) => !/^PUBLICATION(?: TABLE)? [^ ]*\.tmig_/.test(s.label));
    // A schema-only dump leaves materialized views empty: refresh the populated ones, in creation order, last.
    const db = await this.db();
    const mv = await db.query<{ name: string }>(`SELECT format('%I.%I', schemaname, matviewname) AS name
      FROM pg_matviews WHERE ispopulated AND schemaname <> '_tmig' ORDER BY format('%I.%I', schemaname, matviewname)::regclass::oid`);
    mv.rows.forEach((m, i) => steps.push({ label: `MATERIALIZED VIEW DATA ${m.name}`, sql: `REFRESH MATERIALIZED VIEW ${m.name}`, group: 100 + i }));
    return steps;
  }

  async sequenceStates(): Promise<SequenceState[]> {
    const db = await this.db();
    const seqs = await db.query<{ schemaname: string; sequencename: string }>(
      `SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname <> '_tmig' ORDER BY 1, 2`);
    const states: SequenceState[] = [];
    for (const s of seqs.rows) {
      const name = qualified(s.schemaname, s.sequencename);
      const r = await db.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`);
      states.push({ sequence: name, lastValue: r.rows[0].last_value, isCalled: r.rows[0].is_called });
    }
    return states;
  }

  async count(table: TableModel, range?: KeyRange, filter?: string | null): Promise<number> {
    const db = await this.db();
    const r = await db.query<{ n: string }>(countQuery(sourceShape(table), range, filter));
    return Number(r.rows[0].n);
  }

  async planRanges(table: TableModel, parts: number, filter?: string | null): Promise<KeyRange[]> {
    if (parts <= 1) return [FULL_RANGE];
    if (!table.key) return this.planPageRanges(table, parts);
    const keyCol = table.columns.find((c) => c.name === table.key![0]);
    const db = await this.db();
    const shape = sourceShape(table);
    const col = quoteIdent(table.key[0]);
    const from = onlyTable(shape.schema, shape.name) + (filter ? ` WHERE ${filter}` : '');
    // A slice's keys are sparse in the global key space: split it at positions of its own rows instead.
    if (keyCol && integerTypes.has(keyCol.sourceType) && !filter) {
      const r = await db.query<{ lo: string | null; hi: string | null }>(`SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ${from}`);
      const { lo, hi } = r.rows[0];
      if (lo === null || hi === null) return [FULL_RANGE];
      return splitIntegerRange(BigInt(lo), BigInt(hi), parts);
    }
    // Any other key type (uuid, text, dates): boundaries at evenly spaced positions of the key index.
    const bounds: string[] = [];
    for (let i = 1; i < parts; i++) {
      const offset = Math.floor((table.estimatedRows * i) / parts);
      const r = await db.query<{ k: string }>(`SELECT ${col}::text AS k FROM ${from} ORDER BY ${keyExpr(table.key[0], shape.keyOrder?.[0])} OFFSET ${offset} LIMIT 1`);
      const k = r.rows[0]?.k;
      if (k !== undefined && bounds[bounds.length - 1] !== k) bounds.push(k);
    }
    const ranges: KeyRange[] = bounds.map((hi, i) => ({ lo: i === 0 ? null : bounds[i - 1], hi }));
    ranges.push({ lo: bounds[bounds.length - 1] ?? null, hi: null });
    return ranges;
  }

  /**
   * A keyless table split by ctid page ranges: each range is copied (and checkpointed) in one
   * transaction; the first range is open below and the last open above, so no page is missed.
   * Rows moved between pages during the copy are caught by validation (range checksums re-read).
   */
  private async planPageRanges(table: TableModel, parts: number): Promise<KeyRange[]> {
    const db = await this.db();
    const r = await db.query<{ pages: string }>(`SELECT (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, [table.schema, table.name]);
    const pages = Number(r.rows[0]?.pages ?? 0);
    if (pages < 2) return [FULL_RANGE];
    const ranges = splitIntegerRange(0n, BigInt(pages - 1), parts);
    // splitIntegerRange bounds are inclusive highs; a page range's high is exclusive: shift by one.
    return ranges.map((x) => ({ lo: x.lo === null ? null : String(BigInt(x.lo) + 1n), hi: x.hi === null ? null : String(BigInt(x.hi) + 1n) }));
  }

  async readChunk(req: ReadChunkRequest): Promise<Readable> {
    const db = await this.db();
    return db.query(copyTo(chunkCopyOut(sourceShape(req.table), req, req.binary === true)));
  }

  readsBinaryCopy(): boolean {
    return true;
  }

  async databaseLocale(): Promise<DatabaseLocale> {
    const db = await this.db();
    const r = await db.query<DatabaseLocale>(`SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype
      FROM pg_database WHERE datname = current_database()`);
    return r.rows[0];
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/** Evenly split [lo, hi] into ranges; the first is open below and the last open above, so no row is missed. */
export function splitIntegerRange(lo: bigint, hi: bigint, parts: number): KeyRange[] {
  const span = hi - lo + 1n;
  const n = BigInt(Math.max(1, Math.min(parts, Number(span < 1000000n ? span : 1000000n))));
  const ranges: KeyRange[] = [];
  let prev: string | null = null;
  for (let i = 1n; i <= n; i++) {
    const bound: string | null = i === n ? null : (lo - 1n + (span * i) / n).toString();
    ranges.push({ lo: prev, hi: bound });
    prev = bound;
  }
  return ranges;
}

export function sourceShape(table: TableModel): PgTableShape {
  const copied = table.columns.filter((c) => !c.generated);
  return {
    schema: table.schema, name: table.name,
    columns: copied.map((c) => c.name),
    key: table.key,
    ctidRanges: true,
    keyTypes: (table.key ?? []).map((k) => table.columns.find((c) => c.name === k)!.sourceType),
  };
}

export function targetShape(table: TableModel): PgTableShape {
  const copied = table.columns.filter((c) => !c.generated);
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  return {
    schema: table.targetSchema, name: table.targetName,
    columns: copied.map((c) => c.targetName),
    key: table.key ? table.key.map((k) => byName.get(k)!.targetName) : null,
    keyTypes: (table.key ?? []).map((k) => byName.get(k)!.targetType),
    keyOrder: table.keyOrder,
  };
}
