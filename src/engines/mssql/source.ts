import { Transform, type Readable, type TransformCallback } from 'node:stream';
import sql from 'mssql';
import type { SchemaModel, TableModel } from '../schemaModel';
import type { DdlStep, KeyRange, ReadChunkRequest, SequenceState, SourceEngine } from '../sourceEngine';
import { FULL_RANGE } from '../sourceEngine';
import type { MssqlServerSettings as ServerConfig } from './serverConfig';
import type { ColumnOverride } from '../../contract/migration';
import { FailureType, PermanentError } from '../../contract/failures';
import { escapeCopyText, NULL_FIELD } from '../copyText';
import { openPool } from './connection';
import { rawFromCatalogRows, readCatalogRows } from './catalog';
import { buildModel } from './buildModel';
import { detectFlavor, type ServerFlavor } from './serverFlavor';
import { preDataSteps, postDataSteps } from './pgDdl';
import { chunkQuery, countQuery, rangeBoundsQuery, rangesFromBounds, type KeysetStatement } from './keysetQuery';
import { encodeValue, ValueEncodingError } from './valueEncoding';
import type { TypeMapping } from './typeMapping';

export interface MssqlSourceOptions {
  serverName: string;
  server: ServerConfig;
  database: string;
  overrides?: ColumnOverride[];
  lowerCaseNames?: boolean;
  /** Target schema for `dbo` (default: the server's dboSchema, else `public`). */
  dboSchema?: string;
}

/** Lines are batched into buffers of about this size before they are pushed downstream. */
const BATCH_BYTES = 64 * 1024;

/**
 * SQL Server source engine: describes a database from its catalog and reads key ranges as
 * canonical COPY text (see valueEncoding.ts), streamed with backpressure.
 */
export class MssqlSourceEngine implements SourceEngine {
  readonly kind = 'mssql';
  private pool?: Promise<sql.ConnectionPool>;

  constructor(private readonly opts: MssqlSourceOptions) {}

  /** Opens the connection pool (a seam for tests, which cannot run a SQL Server). */
  protected connect(): Promise<sql.ConnectionPool> {
    return openPool(this.opts.serverName, this.opts.server, this.opts.database);
  }

  private serverFlavor?: Promise<ServerFlavor>;

  /** SQL Server or Babelfish (decides the few catalog queries and statements that differ). */
  flavor(): Promise<ServerFlavor> {
    if (!this.serverFlavor) {
      this.serverFlavor = this.db().then(detectFlavor);
      this.serverFlavor.catch(() => { this.serverFlavor = undefined; });
    }
    return this.serverFlavor;
  }

  private db(): Promise<sql.ConnectionPool> {
    if (!this.pool) {
      this.pool = this.connect();
      this.pool.catch(() => { this.pool = undefined; });
    }
    return this.pool;
  }

  async describe(): Promise<SchemaModel> {
    const pool = await this.db();
    const flavor = await this.flavor();
    const raw = rawFromCatalogRows(await readCatalogRows(pool, flavor), flavor);
    return buildModel(raw, {
      overrides: this.opts.overrides,
      lowerCaseNames: this.opts.lowerCaseNames,
      dboSchema: this.opts.dboSchema ?? this.opts.server.dboSchema,
      flavor,
    });
  }

  async preDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    return preDataSteps(model);
  }

  async postDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    return postDataSteps(model);
  }

  /**
   * Identity columns are created `START WITH <seed>`; the target engine then moves every owned
   * sequence past its column's max, so nothing needs carrying over here.
   */
  async sequenceStates(_model: SchemaModel): Promise<SequenceState[]> {
    return [];
  }

  private async request(stmt: KeysetStatement): Promise<sql.Request> {
    const req = (await this.db()).request();
    for (const p of stmt.params) req.input(p.name, sql.NVarChar(4000), p.value);
    if (stmt.limit !== undefined) req.input('limit', sql.BigInt, stmt.limit);
    return req;
  }

  async count(table: TableModel, range?: KeyRange, filter?: string | null): Promise<number> {
    const stmt = countQuery(table, range, filter);
    const r = await (await this.request(stmt)).query(stmt.sql);
    return Number(r.recordset[0].n);
  }

  async planRanges(table: TableModel, parts: number, filter?: string | null): Promise<KeyRange[]> {
    if (!table.key || parts <= 1 || (table.keyOrder?.[0] ?? 'natural') !== 'natural') return [FULL_RANGE];
    const { sql: text, mapping } = rangeBoundsQuery(table, parts, filter);
    if (mapping.kind === 'bool') return [FULL_RANGE];
    const r = await (await this.db()).request().query(text);
    const bounds = (r.recordset as { b: unknown }[]).map((x) => encodeValue(x.b, mapping)).filter((b): b is string => b !== null);
    return rangesFromBounds(bounds);
  }

  async readChunk(req: ReadChunkRequest): Promise<Readable> {
    if (req.binary) throw new Error('the SQL Server source reads canonical text only (no binary COPY)');
    const stmt = chunkQuery(req);
    const request = await this.request(stmt);
    request.arrayRowMode = true;
    const rows = request.toReadableStream({ highWaterMark: 512 });
    const encoder = new RowEncoder(req.table, stmt.mappings);
    rows.on('error', (err) => encoder.destroy(err));
    // A consumer that stops early (COPY failed, activity cancelled) must not leave the query
    // streaming the rest of the table: cancel it on the server.
    encoder.on('close', () => {
      if (!rows.readableEnded) {
        request.cancel();
        rows.destroy();
      }
    });
    request.query(stmt.sql).catch(() => undefined); // errors arrive on the row stream
    return rows.pipe(encoder);
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    if (p) await p.then((pool) => pool.close()).catch(() => undefined);
  }
}

/** Object rows (arrays in copied-column order) -> canonical COPY text lines, batched. */
export class RowEncoder extends Transform {
  private pending = '';
  private readonly names: string[];

  constructor(private readonly table: TableModel, private readonly mappings: TypeMapping[]) {
    super({ writableObjectMode: true, readableHighWaterMark: BATCH_BYTES * 4 });
    this.names = table.columns.filter((c) => !c.generated).map((c) => c.name);
  }

  override _transform(row: unknown[], _enc: BufferEncoding, cb: TransformCallback): void {
    let line = '';
    for (let i = 0; i < this.mappings.length; i++) {
      let v: string | null;
      try {
        v = encodeValue(row[i], this.mappings[i]);
      } catch (err) {
        const msg = `table ${this.table.schema}.${this.table.name}, column ${this.names[i]}: ${(err as Error).message}`;
        cb(err instanceof ValueEncodingError ? new PermanentError(FailureType.UnsupportedType, msg) : new Error(msg));
        return;
      }
      if (i > 0) line += '\t';
      line += v === null ? NULL_FIELD : escapeCopyText(v);
    }
    this.pending += line + '\n';
    if (this.pending.length >= BATCH_BYTES) {
      const out = Buffer.from(this.pending, 'utf8');
      this.pending = '';
      cb(null, out);
      return;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.pending) this.push(Buffer.from(this.pending, 'utf8'));
    this.pending = '';
    cb();
  }
}
