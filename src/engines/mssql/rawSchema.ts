/**
 * A SQL Server database as its catalog (or a DDL script) describes it, before translation.
 * Both catalog introspection (catalog.ts) and the offline script parser (src/assess) produce
 * this shape; buildModel.ts turns it into the engine-neutral SchemaModel.
 */

export interface RawColumn {
  name: string;
  /** System type name (lower case). For alias types: the base system type. */
  type: string;
  /** Alias type `schema.name` when the column uses a user-defined alias type. */
  aliasType?: string;
  /**
   * The type as written when it could not be resolved to a system type (a script naming an alias
   * type it does not declare): never mapped silently; reported, refused unless overridden.
   */
  unresolvedType?: string;
  /** Characters for char/varchar/nchar/nvarchar, bytes for binary/varbinary; -1 = max. */
  length?: number | null;
  precision?: number | null;
  scale?: number | null;
  nullable: boolean;
  identity?: { seed: string; increment: string };
  /** Computed column definition as SQL Server stores it. */
  computed?: { definition: string; persisted: boolean };
  /** Default constraint definition as SQL Server stores it (e.g. `(getdate())`). */
  default?: { name?: string; definition: string };
  collation?: string | null;
  /** xml column bound to an XML schema collection. */
  xmlSchemaBound?: boolean;
  /** rowguidcol / sparse / filestream flags that deserve a note. */
  flags?: string[];
}

export interface RawIndex {
  name: string;
  primaryKey: boolean;
  /** Unique constraint (or unique index). */
  unique: boolean;
  uniqueConstraint?: boolean;
  /** clustered | nonclustered | xml | spatial | columnstore | fulltext | hash. */
  type: string;
  columns: { name: string; descending: boolean }[];
  include: string[];
  filter?: string | null;
  disabled?: boolean;
}

export interface RawForeignKey {
  name: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  /** NO_ACTION | CASCADE | SET_NULL | SET_DEFAULT (as sys.foreign_keys spells it). */
  onDelete: string;
  onUpdate: string;
  disabled: boolean;
  notTrusted: boolean;
}

export interface RawCheck {
  name: string;
  definition: string;
  disabled: boolean;
  notTrusted: boolean;
}

export interface RawTable {
  schema: string;
  name: string;
  columns: RawColumn[];
  indexes: RawIndex[];
  foreignKeys: RawForeignKey[];
  checks: RawCheck[];
  rowCount?: number;
  avgRowBytes?: number;
  /** Temporal (system-versioned), memory-optimized, graph, ... */
  flags?: string[];
}

export interface RawObject {
  /** view | procedure | function | trigger | synonym | sequence | type | ... */
  kind: string;
  schema: string;
  name: string;
  /** For triggers: the table they belong to. */
  parent?: string;
}

export interface RawSchema {
  database: string;
  tables: RawTable[];
  objects: RawObject[];
  /** Database default collation (case sensitivity matters for the report). */
  collation?: string | null;
}
