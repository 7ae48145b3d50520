/**
 * The engine-neutral change model and the change-source interface every CDC source engine
 * implements (PostgreSQL logical replication today; SQL Server's `cdc.fn_cdc_get_all_changes_*`
 * fits the same shape: its `__$start_lsn` is the commit position, operations 1/2/3+4 map to
 * delete/insert/update with old key). Values are PostgreSQL text representations.
 */

/** Column values by source column name; null is SQL NULL. */
export type RowValues = Record<string, string | null>;

export type Change =
  | { op: 'insert'; table: string; row: RowValues }
  | {
    op: 'update'; table: string; row: RowValues;
    /** The key before the update when the update changed it; null when the key stayed. */
    oldKey: string[] | null;
    /** Columns the source did not send because they were unchanged (pgoutput's unchanged TOAST). */
    unchanged: string[];
  }
  | { op: 'delete'; table: string; key: string[] }
  | { op: 'truncate'; tables: string[] };

/** One committed source transaction, in commit order. */
export interface SourceTransaction {
  /** Source position after this commit (PostgreSQL: the commit's end LSN); totally ordered. */
  position: string;
  /** Commit time at the source (ISO). */
  commitTime: string;
  changes: Change[];
  /** Drain markers written into the change log inside this transaction. */
  markers: string[];
}

/** What a change source reports about itself while streaming (no row data). */
export interface StreamMeasure {
  /** Bytes of change log between what the target has applied and the source's current end. */
  lagBytes: number;
  /** Change log the source keeps for this stream (PostgreSQL: WAL held by the slot). */
  retainedBytes: number;
  /** Source's current position. */
  sourcePosition: string;
  /** Position the source considers confirmed. */
  confirmedPosition: string | null;
}

/**
 * A source engine's change capture. `prepare` runs before the first chunk is read, so every
 * change after it is captured; `stream` delivers committed transactions after `from`, in order;
 * `confirm` tells the source everything up to a position is applied and may be discarded.
 */
export interface ChangeSource {
  readonly kind: string;
  prepare(): Promise<{ startPosition: string }>;
  measure(appliedPosition: string | null): Promise<StreamMeasure>;
  /** Writes a marker into the change log; `stream` reports it in the transaction that carries it. */
  emitMarker(marker: string): Promise<void>;
  drop(): Promise<void>;
}
