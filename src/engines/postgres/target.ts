import type { Client } from 'pg';
import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import type { SchemaModel, TableModel } from '../schemaModel';
import type { DatabaseLocale, DdlStep, KeyRange, SequenceState } from '../sourceEngine';
import type { PrepareOutcome, TargetEngine } from '../targetEngine';
import { connectPg, type PgEndpoint } from './connection';
import { closeIdleSessions } from './sessionPool';
import { BOOKKEEPING_DDL } from './bookkeeping';
import { chunkCopyOut, countQuery, type ChunkBounds } from './chunkQuery';
import { targetShape } from './source';
import { qualified, quoteIdent, quoteLiteral } from './quoting';
import { FailureType, PermanentError } from '../../contract/failures';
import { classifySqlState, sqlStateOf, statementOf } from '../../contract/sqlState';

export type { PrepareOutcome } from '../targetEngine';

export type { Checkpoint, ChunkRecord } from './checkpointStore';

/** The PostgreSQL target: one database per tenant, with its bookkeeping in `_tmig`. */
export class PostgresTarget implements TargetEngine {
  readonly kind = 'postgres';

  constructor(readonly ep: PgEndpoint) {}

  connect(appName = 'tmig-target'): Promise<Client> {
    return connectPg(this.ep, { role: 'target', appName });
  }

  /** Creates the database when missing (a concurrent creator is fine). */
  async ensureDatabase(locale?: DatabaseLocale): Promise<boolean> {
    const admin = await connectPg({ ...this.ep, database: adminDatabase(this.ep) }, { role: 'admin' });
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.ep.database]);
      if (exists.rowCount) return false;
      try {
        // Same encoding and collation as the source: text keys must sort and compare the same on both sides.
        const withLocale = locale
          ? ` TEMPLATE template0 ENCODING ${quoteLiteral(locale.encoding)} LC_COLLATE ${quoteLiteral(locale.collate)} LC_CTYPE ${quoteLiteral(locale.ctype)}`
          : '';
        await admin.query(`CREATE DATABASE ${quoteIdent(this.ep.database)}${withLocale}`);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === '42P04') return false;
        throw err;
      }
    } finally {
      await admin.end();
    }
  }

  /**
   * Makes the target ready: bookkeeping schema, run row. Refuses a database that tmig did not
   * create (it would be overwritten) and one that belongs to another tenant or source.
   */
  async prepare(tenantId: string, sourceLabel: string, locale?: DatabaseLocale, replaceExisting = false, replaceCompleted = false): Promise<PrepareOutcome> {
    await this.ensureDatabase(locale);
    const other = await this.otherMigration(tenantId, sourceLabel);
    let aside: string | undefined;
    if (other?.status === 'complete' && replaceCompleted) {
      // A completed database may be serving: it is renamed aside, never dropped, and the report names it.
      aside = await this.renameAside(tenantId);
      await this.ensureDatabase(locale);
    } else if (other && other.status !== 'complete' && replaceExisting) {
      // Only an unfinished database tmig made for this tenant is ever dropped, and only when asked.
      await this.dropDatabase();
      await this.ensureDatabase(locale);
    }
    const db = await this.connect();
    try {
      const managed = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = '_tmig'`);
      if (!managed.rowCount) {
        const userTables = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`);
        if (Number(userTables.rows[0].n) > 0) {
          throw new PermanentError(FailureType.TargetConflict,
            `tenant ${tenantId}: target database "${this.ep.database}" on "${this.ep.serverName}" already has ${userTables.rows[0].n} tables and was not created by tmig; refusing to write into it`);
        }
      }
      await db.query(BOOKKEEPING_DDL);
      await db.query(`INSERT INTO _tmig.run (id, tenant_id, source, status, replaced_database) VALUES (1, $1, $2, 'incomplete', $3) ON CONFLICT (id) DO NOTHING`,
        [tenantId, sourceLabel, aside ?? null]);
      const run = await db.query<{ tenant_id: string; source: string; status: string }>('SELECT tenant_id, source, status FROM _tmig.run');
      const r = run.rows[0];
      if (r.tenant_id !== tenantId || r.source !== sourceLabel) {
        const hint = r.tenant_id !== tenantId ? ''
          : r.status === 'complete'
            ? ' (it is complete and may be serving: set options.replaceCompleted to replace it; the old database is kept, renamed aside)'
            : ' (set options.replaceExisting to replace it)';
        throw new PermanentError(FailureType.TargetConflict,
          `tenant ${tenantId}: target database "${this.ep.database}" holds a${r.status === 'complete' ? ' completed' : 'n unfinished'} migration of tenant ${r.tenant_id} from ${r.source}, not ${sourceLabel}${hint}`);
      }
      if (r.status === 'complete') return 'complete';
      await this.setDatabaseComment(db, `tmig: INCOMPLETE migration of tenant ${tenantId} from ${sourceLabel}; do not use`);
      const started = await db.query(`SELECT 1 FROM _tmig.model`);
      if (r.status === 'failed') await db.query(`UPDATE _tmig.run SET status = 'incomplete', last_error = NULL`);
      return started.rowCount ? 'resume' : 'new';
    } finally {
      await db.end();
    }
  }

  /** The run state when the database is tmig-managed for this tenant but from another source (e.g. an older backup). */
  private async otherMigration(tenantId: string, sourceLabel: string): Promise<{ status: string } | undefined> {
    const db = await this.connect();
    try {
      const managed = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_tmig' AND c.relname = 'run'`);
      if (!managed.rowCount) return undefined;
      const r = await db.query<{ tenant_id: string; source: string; status: string }>('SELECT tenant_id, source, status FROM _tmig.run');
      const own = r.rowCount === 1 && r.rows[0].tenant_id === tenantId && r.rows[0].source !== sourceLabel;
      return own ? { status: r.rows[0].status } : undefined;
    } finally {
      await db.end();
    }
  }

  /**
   * Renames the database aside (`<name>_old_<UTC time>`, within 63 bytes) so the new migration can
   * take its name; its sessions are ended first (a rename needs the database to itself).
   */
  private async renameAside(tenantId: string): Promise<string> {
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const suffix = `_old_${stamp}`;
    let base = this.ep.database;
    while (Buffer.byteLength(base + suffix, 'utf8') > 63) base = base.slice(0, -1);
    const aside = base + suffix;
    await closeIdleSessions(this.ep.database);
    const admin = await connectPg({ ...this.ep, database: adminDatabase(this.ep) }, { role: 'admin' });
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [this.ep.database]);
      await admin.query(`ALTER DATABASE ${quoteIdent(this.ep.database)} RENAME TO ${quoteIdent(aside)}`);
      await admin.query(`COMMENT ON DATABASE ${quoteIdent(aside)} IS ${quoteLiteral(
        `tmig: replaced by a new migration of tenant ${tenantId} into "${this.ep.database}"; kept until dropped by an operator`)}`);
      return aside;
    } finally {
      await admin.end();
    }
  }

  /** The completed database this one replaced (renamed aside), if any. */
  async replacedDatabase(): Promise<string | undefined> {
    const db = await this.connect();
    try {
      const r = await db.query<{ replaced_database: string | null }>(`SELECT replaced_database FROM _tmig.run`);
      return r.rows[0]?.replaced_database ?? undefined;
    } finally {
      await db.end();
    }
  }

  private async dropDatabase(): Promise<void> {
    await closeIdleSessions(this.ep.database);
    const admin = await connectPg({ ...this.ep, database: adminDatabase(this.ep) }, { role: 'admin' });
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(this.ep.database)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }

  private async setDatabaseComment(db: Client, text: string): Promise<void> {
    await db.query(`COMMENT ON DATABASE ${quoteIdent(this.ep.database)} IS ${quoteLiteral(text)}`);
  }

  /** Stores the schema model once: every later activity and retry uses the same one. */
  async saveModel(model: SchemaModel): Promise<SchemaModel> {
    const db = await this.connect();
    try {
      await db.query(`INSERT INTO _tmig.model (id, model) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [JSON.stringify(model)]);
      const r = await db.query<{ model: SchemaModel }>('SELECT model FROM _tmig.model');
      return r.rows[0].model;
    } finally {
      await db.end();
    }
  }

  static async loadModel(db: Client): Promise<SchemaModel> {
    const r = await db.query<{ model: SchemaModel }>('SELECT model FROM _tmig.model');
    if (!r.rowCount) throw new Error('target has no stored schema model: describeSource has not run');
    return r.rows[0].model;
  }

  /** Pre-data runs in one transaction together with its done-flag: all or nothing. */
  async applyPreData(steps: DdlStep[]): Promise<boolean> {
    const db = await this.connect();
    try {
      const run = await db.query<{ pre_data_done: boolean }>('SELECT pre_data_done FROM _tmig.run');
      if (run.rows[0].pre_data_done) return false;
      await db.query('BEGIN');
      try {
        for (const step of steps) await runStep(db, step);
        await db.query('UPDATE _tmig.run SET pre_data_done = true');
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      return true;
    } finally {
      await db.end();
    }
  }

  /** Stores the post-data steps taken with the pre-data; the first stored plan stays (a retry keeps it). */
  async savePostDataPlan(steps: DdlStep[]): Promise<void> {
    const db = await this.connect();
    try {
      await db.query(`INSERT INTO _tmig.ddl_plan (section, steps) VALUES ('post-data', $1) ON CONFLICT (section) DO NOTHING`, [JSON.stringify(steps)]);
    } finally {
      await db.end();
    }
  }

  /** The stored post-data steps, if the schema phase stored them. */
  async loadPostDataPlan(): Promise<DdlStep[] | undefined> {
    const db = await this.connect();
    try {
      const r = await db.query<{ steps: DdlStep[] }>(`SELECT steps FROM _tmig.ddl_plan WHERE section = 'post-data'`);
      return r.rows[0]?.steps;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return undefined; // a target prepared before the plan table existed
      throw err;
    } finally {
      await db.end();
    }
  }

  /**
   * Statistics for the copied tables (a freshly loaded table has none): without them the planner
   * reads a key range of a large table by bitmap scan, sort and parallel workers instead of its
   * index (measured: 324 ms against 37 ms per 50,000-row chunk), and so would the application's
   * first queries. One statement; a retry runs it again (harmless).
   */
  async analyzeTables(tables: { schema: string; name: string }[]): Promise<void> {
    if (!tables.length) return;
    const db = await this.connect();
    try {
      // Only what exists here (a model may name tables this target does not get).
      const names = tables.map((t) => qualified(t.schema, t.name));
      const present = (await db.query<{ n: string }>(`SELECT n FROM unnest($1::text[]) AS n WHERE to_regclass(n) IS NOT NULL`, [names])).rows.map((r) => r.n);
      if (present.length) await db.query(`ANALYZE ${present.join(', ')}`);
    } finally {
      await db.end();
    }
  }

  /**
   * Post-data steps, each in its own transaction with its entry in `_tmig.ddl_done`, so a retry
   * skips what committed. Steps of one group run in parallel on `parallelism` connections.
   */
  async applyPostData(steps: DdlStep[], parallelism: number, onStep?: (label: string) => void): Promise<number> {
    const first = await this.connect();
    let applied = 0;
    try {
      const done = new Set((await first.query<{ label: string }>('SELECT label FROM _tmig.ddl_done')).rows.map((r) => r.label));
      const groups = [...new Set(steps.map((s) => s.group))].sort((a, b) => a - b);
      const clients = [first];
      for (let i = 1; i < parallelism; i++) clients.push(await this.connect());
      try {
        for (const g of groups) {
          const queue = steps.filter((s) => s.group === g && !done.has(s.label));
          let failure: { err: unknown } | undefined;
          // After a failure no new step starts, but steps already running finish and commit
          // (closing their connections would throw away a finished index build).
          await Promise.all(clients.map(async (db) => {
            for (let step = failure ? undefined : queue.shift(); step; step = failure ? undefined : queue.shift()) {
              await db.query('BEGIN');
              try {
                await runStep(db, step);
                await db.query('INSERT INTO _tmig.ddl_done (label) VALUES ($1)', [step.label]);
                await db.query('COMMIT');
                applied++;
                onStep?.(step.label);
              } catch (err) {
                await db.query('ROLLBACK').catch(() => undefined);
                failure ??= { err: postDataError(step, err) };
              }
            }
          }));
          if (failure) throw failure.err;
        }
      } finally {
        for (const c of clients.slice(1)) await c.end().catch(() => undefined);
      }
      await first.query('UPDATE _tmig.run SET post_data_done = true');
      return applied;
    } finally {
      await first.end().catch(() => undefined);
    }
  }

  /** Carries sequence positions over, then makes sure every owned sequence is past its column's max. */
  async syncSequences(states: SequenceState[]): Promise<void> {
    const db = await this.connect();
    try {
      for (const s of states) {
        await db.query(`SELECT setval(${quoteLiteral(s.sequence)}::regclass, ${BigInt(s.lastValue).toString()}, ${s.isCalled})`);
      }
      const owned = await db.query<{ seq: string; tbl: string; col: string; descending: boolean }>(`
        SELECT d.objid::regclass::text AS seq, d.refobjid::regclass::text AS tbl, quote_ident(a.attname) AS col,
               q.seqincrement < 0 AS descending
        FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_sequence q ON q.seqrelid = s.oid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          AND n.nspname <> '_tmig'`);
      for (const o of owned.rows) {
        // Past the max (below the min for descending sequences), never backwards.
        const [agg, cmp] = o.descending ? ['min', '<='] : ['max', '>='];
        await db.query(`SELECT setval(${quoteLiteral(o.seq)}::regclass, m, true) FROM (SELECT ${agg}(${o.col})::bigint AS m FROM ${o.tbl}) x
          WHERE m IS NOT NULL AND m ${cmp} (SELECT CASE WHEN is_called THEN last_value ELSE last_value - (SELECT seqincrement FROM pg_sequence WHERE seqrelid = ${quoteLiteral(o.seq)}::regclass) END FROM ${o.seq})`);
      }
    } finally {
      await db.end();
    }
  }

  async count(db: Client, table: TableModel, range?: KeyRange): Promise<number> {
    const r = await db.query<{ n: string }>(countQuery(targetShape(table), range));
    return Number(r.rows[0].n);
  }

  /** Reads a chunk back from the target in canonical form (or binary COPY, for binary chunks), for validation. */
  readBack(db: Client, table: TableModel, bounds: ChunkBounds, binary = false): Readable {
    return db.query(copyTo(chunkCopyOut(targetShape(table), bounds, binary)));
  }

  async markComplete(): Promise<void> {
    const db = await this.connect();
    try {
      const run = await db.query<{ tenant_id: string; source: string }>(
        `UPDATE _tmig.run SET status = 'complete', completed_at = now(), last_error = NULL RETURNING tenant_id, source`);
      const r = run.rows[0];
      await this.setDatabaseComment(db, `tmig: complete and validated migration of tenant ${r.tenant_id} from ${r.source}`);
    } finally {
      await db.end();
    }
  }

  /**
   * A later validation (`tmig validate`) found the target differs: a complete target is marked failed
   * in its run row and comment, so nobody trusts it and the next run re-validates it. No-op on a pair
   * without tmig's bookkeeping. Returns whether a mark was set.
   */
  async markValidationFailed(reason: string): Promise<boolean> {
    const db = await this.connect();
    try {
      const ok = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_tmig' AND c.relname = 'run'`);
      if (!ok.rowCount) return false;
      const text = `later validation failed at ${new Date().toISOString()}: ${reason}`.slice(0, 4000);
      const run = await db.query<{ tenant_id: string }>(`UPDATE _tmig.run SET status = 'failed', last_error = $1 RETURNING tenant_id`, [text]);
      if (!run.rowCount) return false;
      await this.setDatabaseComment(db, `tmig: FAILED a later validation (tmig validate) of tenant ${run.rows[0].tenant_id}; do not use: ${text.slice(0, 500)}`);
      return true;
    } finally {
      await db.end();
    }
  }

  /** Leaves the target clearly marked incomplete, with the reason; a later run resumes it. */
  async markFailed(reason: string): Promise<void> {
    const db = await this.connect();
    try {
      const ok = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = '_tmig'`);
      if (!ok.rowCount) return;
      const run = await db.query<{ tenant_id: string }>(
        `UPDATE _tmig.run SET status = 'failed', last_error = $1 WHERE status <> 'complete' RETURNING tenant_id`, [reason.slice(0, 4000)]);
      if (run.rowCount) await this.setDatabaseComment(db, `tmig: FAILED migration of tenant ${run.rows[0].tenant_id}; incomplete, do not use: ${reason.slice(0, 500)}`);
    } finally {
      await db.end();
    }
  }
}

/**
 * Definition errors are permanent; a lost connection, a deadlock between parallel
 * ALTER TABLE ... FOREIGN KEY steps, a lock timeout or a full disk stay transient (retried).
 */
function postDataError(step: DdlStep, err: unknown): unknown {
  if (classifySqlState(sqlStateOf(err)) !== 'permanent') return err;
  const statement = statementOf(err);
  return new PermanentError(FailureType.SchemaFailed, `post-data step "${step.label}" failed: ${(err as Error).message}` +
    ` (SQLSTATE ${sqlStateOf(err)}${statement ? `; statement: ${statement}` : ''})`);
}

async function runStep(db: Client, step: DdlStep): Promise<void> {
  try {
    await db.query(step.sql);
  } catch (err) {
    // Keeps the SQLSTATE and statement reachable through `cause` for classification.
    throw new Error(`${step.label}: ${(err as Error).message}`, { cause: err });
  }
}

function adminDatabase(ep: PgEndpoint): string {
  const path = new URL(ep.server.url).pathname.replace(/^\//, '');
  return decodeURIComponent(path) || 'postgres';
}
