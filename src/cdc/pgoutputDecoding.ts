/**
 * pgoutput messages (as parsed by pg-logical-replication) into engine-neutral source
 * transactions. Values stay PostgreSQL text (never converted to JS values, which would lose
 * precision); unchanged TOAST columns are reported as such; a relation whose columns differ
 * from the target's is DDL during streaming and fails the stream, naming the table.
 */
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { FailureType, PermanentError } from '../contract/failures';
import type { Change, RowValues, SourceTransaction } from './changes';
import { formatLsn, parseLsn } from './lsn';

/** Message prefix of tmig's own logical messages (drain markers and heartbeats). */
export const MARKER_PREFIX = 'tmig';

/** pgoutput with values kept as the text the source sent. */
export class RawTextPgoutputPlugin extends PgoutputPlugin {
  constructor(publication: string) {
    super({ protoVersion: 1, publicationNames: [publication], messages: true });
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    const msg = super.parse(buffer);
    // Later tuples of this relation are read with these parsers: keep the text.
    if (msg.tag === 'relation') for (const c of msg.columns) c.parser = (raw: unknown) => raw;
    return msg;
  }
}

/** What the stream expects of each table: its source columns and key, as the target was built. */
export interface ExpectedTable {
  /** `schema.name` in the source. */
  source: string;
  columns: string[];
  key: string[];
}

export class TransactionAssembler {
  private current: SourceTransaction | null = null;
  private readonly expected: Map<string, ExpectedTable>;
  private readonly checkedRelations = new Set<number>();

  constructor(tables: ExpectedTable[], private readonly label: string) {
    this.expected = new Map(tables.map((t) => [t.source, t]));
  }

  get inTransaction(): boolean {
    return this.current !== null;
  }

  /** Feeds one message; returns the transaction when this message committed it. */
  push(msg: Pgoutput.Message): SourceTransaction | null {
    switch (msg.tag) {
      case 'begin':
        this.current = { position: '', commitTime: micros(msg.commitTime), changes: [], markers: [] };
        return null;
      case 'relation':
        this.checkRelation(msg);
        return null;
      case 'insert':
        this.add({ op: 'insert', table: this.tableOf(msg.relation), row: text(msg.new) });
        return null;
      case 'update': {
        const t = this.tableOf(msg.relation);
        const spec = this.expected.get(t)!;
        const row: RowValues = {};
        const unchanged: string[] = [];
        for (const c of spec.columns) {
          const v = (msg.new as Record<string, unknown>)[c];
          if (v === undefined) unchanged.push(c);
          else row[c] = v as string | null;
        }
        const before = msg.key ?? msg.old;
        const newKey = spec.key.map((k) => row[k] as string);
        let oldKey: string[] | null = null;
        if (before) {
          const k = spec.key.map((c) => (before as Record<string, unknown>)[c] as string | undefined);
          if (k.every((v) => v !== undefined && v !== null) && k.some((v, i) => v !== newKey[i])) oldKey = k as string[];
        }
        if (unchanged.some((c) => spec.key.includes(c))) throw new Error(`${this.label}: ${t}: an update came without its key columns`);
        this.add({ op: 'update', table: t, row, oldKey, unchanged });
        return null;
      }
      case 'delete': {
        const t = this.tableOf(msg.relation);
        const before = (msg.key ?? msg.old) as Record<string, unknown> | null;
        const spec = this.expected.get(t)!;
        if (!before) throw new Error(`${this.label}: ${t}: a delete came without its key`);
        this.add({ op: 'delete', table: t, key: spec.key.map((c) => before[c] as string) });
        return null;
      }
      case 'truncate':
        this.add({ op: 'truncate', tables: msg.relations.map((r) => this.tableOf(r)) });
        return null;
      case 'message':
        if (msg.prefix === MARKER_PREFIX && msg.transactional && this.current) {
          this.current.markers.push(Buffer.from(msg.content).toString('utf8'));
        }
        return null;
      case 'commit': {
        const done = this.current;
        this.current = null;
        if (!done) return null;
        done.position = formatLsn(parseLsn(msg.commitEndLsn ?? msg.commitLsn ?? '0/0'));
        return done;
      }
      default:
        return null;
    }
  }

  private add(change: Change): void {
    if (!this.current) throw new Error(`${this.label}: change outside a transaction`);
    this.current.changes.push(change);
  }

  private tableOf(rel: Pgoutput.MessageRelation): string {
    const t = `${rel.schema}.${rel.name}`;
    if (!this.expected.has(t)) {
      throw new PermanentError(FailureType.SchemaFailed, `${this.label}: change to table ${t}, which is not part of the migration (renamed or added during streaming?)`);
    }
    return t;
  }

  /** pgoutput sends a relation message before the first change after any DDL on the table. */
  private checkRelation(rel: Pgoutput.MessageRelation): void {
    const t = `${rel.schema}.${rel.name}`;
    const spec = this.expected.get(t);
    if (!spec) {
      throw new PermanentError(FailureType.SchemaFailed,
        `${this.label}: DDL during streaming: table ${t} appeared in the change stream but is not part of the migration (was a table renamed?)`);
    }
    const got = rel.columns.map((c) => c.name);
    const added = got.filter((c) => !spec.columns.includes(c));
    const dropped = spec.columns.filter((c) => !got.includes(c));
    if (added.length || dropped.length) {
      throw new PermanentError(FailureType.SchemaFailed,
        `${this.label}: DDL during streaming on table ${t}: ` +
        [added.length ? `column(s) added or renamed: ${added.join(', ')}` : '', dropped.length ? `column(s) dropped or renamed: ${dropped.join(', ')}` : '']
          .filter(Boolean).join('; ') +
        '. Schema changes are not replicated; stop the DDL, or restart the tenant after it');
    }
    this.checkedRelations.add(rel.relationOid);
  }
}

function text(tuple: Record<string, unknown>): RowValues {
  const out: RowValues = {};
  for (const [k, v] of Object.entries(tuple)) out[k] = v as string | null;
  return out;
}

/** pgoutput commit times are microseconds since the Unix epoch (bigint). */
function micros(t: unknown): string {
  return new Date(Number(BigInt(t as bigint) / 1000n)).toISOString();
}
