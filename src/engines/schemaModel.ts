/**
 * The engine-neutral schema model. Source engines describe a database in these terms;
 * activities and the target engine work only with this model.
 * It is plain JSON so it can be reported and passed between activities.
 */

export interface ColumnModel {
  /** Name in the source. */
  name: string;
  /** Name in the target (quoted by the target engine when used). */
  targetName: string;
  /** Type as the source spells it, e.g. `decimal(19,4)` or `timestamp with time zone`. */
  sourceType: string;
  /** PostgreSQL type the column gets in the target. */
  targetType: string;
  nullable: boolean;
  /** Generated/computed columns are not copied: the target computes them. */
  generated: boolean;
  identity?: { seed: string; increment: string; always: boolean };
  /** Default expression, already translated to PostgreSQL (undefined when none or untranslatable). */
  defaultExpr?: string;
}

export interface IndexModel {
  name: string;
  targetName: string;
  columns: { name: string; descending: boolean }[];
  include: string[];
  unique: boolean;
  /** WHERE clause of a filtered/partial index, translated. */
  where?: string;
  primaryKey: boolean;
}

export interface ForeignKeyModel {
  name: string;
  targetName: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
  /** Disabled or untrusted in the source: created NOT VALID in the target and reported. */
  trusted: boolean;
}

export interface CheckModel {
  name: string;
  targetName: string;
  expression: string;
}

export interface TableModel {
  schema: string;
  name: string;
  targetSchema: string;
  targetName: string;
  columns: ColumnModel[];
  /**
   * Columns (source names, in order) used for keyset pagination: the primary key or a
   * unique not-null key. Null when the table has none: it is copied whole in one transaction.
   */
  key: string[] | null;
  /**
   * How each key column is ordered in chunk queries on both sides, when not by its type's natural
   * order: `binary` (text by code point: COLLATE "C" / a BIN2 collation) or `sqlserver-guid`
   * (SQL Server's uniqueidentifier byte-group order). Absent: natural order for every column.
   */
  keyOrder?: KeyOrder[];
  /** Planner estimate, used to decide on range splitting and chunk size. */
  estimatedRows: number;
  /** Average row width in bytes, when the source knows it (chunk size adapts to it). */
  avgRowBytes?: number;
  indexes: IndexModel[];
  foreignKeys: ForeignKeyModel[];
  checks: CheckModel[];
  /**
   * A tenant slice of a shared database: the condition (in the source's dialect) selecting this
   * tenant's rows, fixed when the slice is described so every retry reads the same rows.
   */
  rowFilter?: string;
  /**
   * When the slice of a reached table is driven by a subquery over its first key column: the
   * expression (inside the filter) to bound by the chunk's key position, and the key's type.
   */
  rowFilterKeyBound?: { expression: string; type: string };
}

export type KeyOrder = 'natural' | 'binary' | 'sqlserver-guid';

export interface ConversionNote {
  severity: 'info' | 'lossy' | 'unsupported';
  object: string;
  message: string;
}

export interface SchemaModel {
  sourceKind: string;
  tables: TableModel[];
  /** Objects that exist in the source and are not migrated (views, procedures, ...). */
  notMigrated: { kind: string; name: string; reason: string }[];
  notes: ConversionNote[];
}

/** Qualified name for messages and bookkeeping: `schema.table` as the target names it. */
export function tableLabel(table: Pick<TableModel, 'targetSchema' | 'targetName'>): string {
  return `${table.targetSchema}.${table.targetName}`;
}
