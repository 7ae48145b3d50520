import type { Readable } from 'node:stream';
import type { SchemaModel, TableModel } from './schemaModel';

/**
 * Key values travel as PostgreSQL text representations of the key columns (exactly as
 * they appear in the canonical COPY text line), so checkpoints are engine-neutral.
 */
export type KeyValues = string[];

/**
 * A key range on the first key column: lo exclusive, hi inclusive; null means unbounded.
 * Ranges let one large table be copied by several activities at once.
 */
export interface KeyRange {
  lo: string | null;
  hi: string | null;
}

export const FULL_RANGE: KeyRange = { lo: null, hi: null };

/** One DDL step; post-data steps of the same group may run in parallel. */
export interface DdlStep {
  label: string;
  sql: string;
  /** Lower groups run first; steps within a group are independent. */
  group: number;
}

export interface SequenceState {
  /** Target-qualified, quoted sequence name, e.g. `"public"."orders_id_seq"`. */
  sequence: string;
  lastValue: string;
  isCalled: boolean;
}

export interface ReadChunkRequest {
  table: TableModel;
  range: KeyRange;
  /** Rows strictly after this key (in key order); null = from the start of the range. */
  after: KeyValues | null;
  /** Upper bound of the chunk (inclusive), used when re-reading a recorded chunk. */
  upTo?: KeyValues | null;
  /** Row limit; null = no limit. */
  limit: number | null;
  /** Extra row condition in the source's dialect (a tenant slice of a shared database). */
  filter?: string | null;
  /** PostgreSQL binary COPY instead of canonical text (only from an engine with readsBinaryCopy). */
  binary?: boolean;
}

/**
 * A source engine: describes a database and reads it as canonical COPY text
 * (PostgreSQL text format of the target column types, in target column order,
 * one line per row, in key order when the table has a key).
 */
export interface SourceEngine {
  readonly kind: string;
  /** Throws PermanentError(SourceMissing) when the database does not exist. */
  describe(): Promise<SchemaModel>;
  /** DDL for the target before data (tables, types, defaults). */
  preDataSteps(model: SchemaModel): Promise<DdlStep[]>;
  /** DDL for the target after data (keys, indexes, FKs, checks, triggers). */
  postDataSteps(model: SchemaModel): Promise<DdlStep[]>;
  /** Sequence positions to carry over (sequences are then also set past the max of their columns). */
  sequenceStates(model: SchemaModel): Promise<SequenceState[]>;
  /** `filter`: an extra row condition in the source's dialect (a tenant slice), as in ReadChunkRequest. */
  count(table: TableModel, range?: KeyRange, filter?: string | null): Promise<number>;
  planRanges(table: TableModel, parts: number, filter?: string | null): Promise<KeyRange[]>;
  readChunk(req: ReadChunkRequest): Promise<Readable>;
  /**
   * True when readChunk can return PostgreSQL binary COPY (copyBinary.ts): a PostgreSQL source,
   * whose values then need no text round trip when the target has the same built-in types.
   */
  readsBinaryCopy?(): boolean;
  /**
   * The locale the target database should be created with, when the source has one that
   * matters (text keys are ordered and compared by collation on both sides).
   */
  databaseLocale?(): Promise<DatabaseLocale | undefined>;
  /** A hint that preDataSteps/postDataSteps follow soon in this process: start reading what they need. */
  prefetchSchema?(): void;
  close(): Promise<void>;
}

export interface DatabaseLocale {
  encoding: string;
  collate: string;
  ctype: string;
}
