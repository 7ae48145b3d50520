import type sql from 'mssql';
import type { RawSchema, RawTable, RawColumn, RawIndex, RawForeignKey, RawObject } from './rawSchema';
import type { ServerFlavor } from './serverFlavor';

/**
 * Catalog introspection from `sys.*`. The queries use only catalog columns present since
 * SQL Server 2008 (newer features are probed with OBJECTPROPERTY, which returns NULL on old
 * servers instead of failing). `rawFromCatalogRows` is pure so it is tested without a server.
 * Declared names come from INFORMATION_SCHEMA (keyed by object and column id), which keeps the
 * declared case on SQL Server and on Babelfish (whose sys.* views lower-case names).
 */

export const CATALOG_QUERIES = {
  columns: `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id, c.column_id, c.name AS column_name,
       ty.name AS type_name, ty.is_user_defined, ty.is_assembly_type, SCHEMA_NAME(ty.schema_id) AS type_schema,
       TYPE_NAME(ty.system_type_id) AS base_type,
       c.max_length, c.precision, c.scale, c.is_nullable, c.collation_name,
       c.is_identity,
       -- IDENT_SEED/IDENT_INCR: Babelfish's sys.identity_columns has NULLs for tables named with reserved words
       COALESCE(CONVERT(varchar(40), ic.seed_value), CONVERT(varchar(40), IDENT_SEED(QUOTENAME(s.name) + N'.' + QUOTENAME(t.name)))) AS identity_seed,
       COALESCE(CONVERT(varchar(40), ic.increment_value), CONVERT(varchar(40), IDENT_INCR(QUOTENAME(s.name) + N'.' + QUOTENAME(t.name)))) AS identity_increment,
       c.is_computed, cc.definition AS computed_definition, cc.is_persisted,
       dc.name AS default_name, dc.definition AS default_definition,
       c.xml_collection_id, c.is_rowguidcol, c.is_sparse, c.is_filestream
FROM sys.tables t
JOIN sys.schemas s ON s.schema_id = t.schema_id
JOIN sys.columns c ON c.object_id = t.object_id
JOIN sys.types ty ON ty.user_type_id = c.user_type_id
LEFT JOIN sys.identity_columns ic ON ic.object_id = c.object_id AND ic.column_id = c.column_id
LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id
LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name, c.column_id`,
  tables: `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id,
       (SELECT SUM(p.rows) FROM sys.partitions p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)) AS row_count,
       (SELECT SUM(a.used_pages) FROM sys.partitions p JOIN sys.allocation_units a ON a.container_id = p.partition_id
         WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)) AS used_pages,
       OBJECTPROPERTY(t.object_id, 'TableTemporalType') AS temporal_type,
       OBJECTPROPERTY(t.object_id, 'TableIsMemoryOptimized') AS memory_optimized
FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name`,
  indexes: `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id, i.index_id, i.name AS index_name, i.type_desc,
       i.is_primary_key, i.is_unique, i.is_unique_constraint, i.has_filter, i.filter_definition, i.is_disabled,
       c.column_id, c.name AS column_name, ic.key_ordinal, ic.is_descending_key, ic.is_included_column
FROM sys.indexes i
JOIN sys.tables t ON t.object_id = i.object_id
JOIN sys.schemas s ON s.schema_id = t.schema_id
JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
WHERE t.is_ms_shipped = 0 AND i.type > 0 AND i.is_hypothetical = 0
ORDER BY s.name, t.name, i.index_id, ic.is_included_column, ic.key_ordinal, ic.index_column_id`,
  foreignKeys: `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id, fk.name AS fk_name,
       rs.name AS ref_schema, rt.name AS ref_table, rt.object_id AS ref_object_id,
       fk.delete_referential_action_desc AS on_delete, fk.update_referential_action_desc AS on_update,
       fk.is_disabled, fk.is_not_trusted, pc.column_id, pc.name AS column_name, rc.column_id AS ref_column_id, rc.name AS ref_column
FROM sys.foreign_keys fk
JOIN sys.tables t ON t.object_id = fk.parent_object_id
JOIN sys.schemas s ON s.schema_id = t.schema_id
JOIN sys.tables rt ON rt.object_id = fk.referenced_object_id
JOIN sys.schemas rs ON rs.schema_id = rt.schema_id
JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name, fk.name, fkc.constraint_column_id`,
  checks: `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id, ck.name AS check_name, ck.definition, ck.is_disabled, ck.is_not_trusted
FROM sys.check_constraints ck
JOIN sys.tables t ON t.object_id = ck.parent_object_id
JOIN sys.schemas s ON s.schema_id = t.schema_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name, ck.name`,
  objects: `
SELECT SCHEMA_NAME(o.schema_id) AS schema_name, o.name, CAST(o.type AS varchar(2)) AS type, p.name AS parent_name
FROM sys.objects o
LEFT JOIN sys.objects p ON p.object_id = o.parent_object_id
WHERE o.is_ms_shipped = 0 AND o.type IN ('V', 'P', 'PC', 'FN', 'IF', 'TF', 'FS', 'FT', 'AF', 'TR', 'TA', 'SN', 'SO')
UNION ALL
SELECT SCHEMA_NAME(tt.schema_id), tt.name, CAST('TT' AS varchar(2)), NULL FROM sys.table_types tt WHERE tt.is_user_defined = 1
ORDER BY 1, 2`,
  database: `SELECT DB_NAME() AS name, CONVERT(nvarchar(128), DATABASEPROPERTYEX(DB_NAME(), 'Collation')) AS collation`,
  declaredTables: `
SELECT OBJECT_ID(QUOTENAME(TABLE_SCHEMA) + N'.' + QUOTENAME(TABLE_NAME)) AS object_id, TABLE_SCHEMA AS schema_name, TABLE_NAME AS table_name
FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE'`,
  declaredColumns: `
SELECT x.object_id, COLUMNPROPERTY(x.object_id, x.COLUMN_NAME, 'ColumnId') AS column_id, x.COLUMN_NAME AS column_name
FROM (SELECT OBJECT_ID(QUOTENAME(TABLE_SCHEMA) + N'.' + QUOTENAME(TABLE_NAME)) AS object_id, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS) AS x`,
} as const;

/**
 * Babelfish has no sys.allocation_units and its sys.partitions.rows stays 0: sizes come from
 * its PostgreSQL catalog (object_id is the relation's oid), estimated like a PostgreSQL source.
 */
export const BABELFISH_TABLES_QUERY = `
SELECT s.name AS schema_name, t.name AS table_name, t.object_id,
       CASE WHEN pc.reltuples >= 0 THEN CAST(pc.reltuples AS bigint) ELSE pg_catalog.pg_relation_size(pc.oid) / 100 END AS row_count,
       pg_catalog.pg_relation_size(pc.oid) / 8192 AS used_pages,
       NULL AS temporal_type, NULL AS memory_optimized
FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id
JOIN pg_catalog.pg_class pc ON pc.oid = t.object_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name`;

/**
 * Babelfish reports has_filter = 0 for filtered indexes; the predicate is in its PostgreSQL
 * catalog (in PostgreSQL syntax, e.g. `((price)::fixeddecimal > 10)`).
 */
export const BABELFISH_FILTERS_QUERY = `
SELECT i.object_id, i.index_id, CAST(pg_catalog.pg_get_expr(x.indpred, x.indrelid) AS nvarchar(4000)) AS filter_definition
FROM sys.indexes i
JOIN sys.tables t ON t.object_id = i.object_id
JOIN pg_catalog.pg_index x ON x.indrelid = i.object_id
JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid AND ic.relname = i.name
WHERE t.is_ms_shipped = 0 AND x.indpred IS NOT NULL`;

export type CatalogRows = { -readonly [K in keyof typeof CATALOG_QUERIES]: Record<string, unknown>[] } & { babelfishFilters?: Record<string, unknown>[] };

/** The catalog queries for a server: SQL Server's, with Babelfish's replacements where it lacks a view. */
export function catalogQueries(flavor: ServerFlavor): Record<string, string> {
  return flavor === 'babelfish'
    ? { ...CATALOG_QUERIES, tables: BABELFISH_TABLES_QUERY, babelfishFilters: BABELFISH_FILTERS_QUERY }
    : { ...CATALOG_QUERIES };
}

/** A PostgreSQL-syntax predicate from Babelfish with its `::type` casts removed, so the T-SQL translator reads it. */
export function babelfishPredicate(pg: string): string {
  return pg.replace(/::\s*(?:"[^"]+"|[\w.]+)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])?/g, '');
}

export async function readCatalogRows(pool: sql.ConnectionPool, flavor: ServerFlavor = 'sqlserver'): Promise<CatalogRows> {
  const out = {} as CatalogRows;
  for (const [name, text] of Object.entries(catalogQueries(flavor))) {
    try {
      const r = await pool.request().query(text);
      out[name as keyof CatalogRows] = r.recordset as Record<string, unknown>[];
    } catch (err) {
      (err as Error).message = `catalog query ${name}: ${(err as Error).message}`;
      throw err;
    }
  }
  return out;
}

const objectKinds: Record<string, string> = {
  V: 'view', P: 'procedure', PC: 'procedure', FN: 'function', IF: 'function', TF: 'function', FS: 'function', FT: 'function', AF: 'function',
  TR: 'trigger', TA: 'trigger', SN: 'synonym', SO: 'sequence', TT: 'type',
};

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const bool = (v: unknown) => v === true || v === 1 || v === '1';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** sys.columns.max_length is in bytes: characters for n-types are half of it. */
function lengthOf(base: string, maxLength: number | null): number | null {
  if (maxLength === null) return null;
  if (maxLength === -1) return -1;
  return ['nchar', 'nvarchar'].includes(base) ? maxLength / 2 : maxLength;
}

/**
 * Babelfish names an index `<name><table><md5>` (lower case): the declared name is what precedes
 * the table name. SQL Server names are returned as they are.
 */
export function declaredIndexName(name: string, table: string, flavor: ServerFlavor): string {
  if (flavor !== 'babelfish') return name;
  const m = /^(.*?)([0-9a-f]{32})$/.exec(name);
  if (!m) return name;
  const t = table.toLowerCase();
  return m[1].endsWith(t) && m[1].length > t.length ? m[1].slice(0, -t.length) : m[1];
}

/** sys.* names replaced by INFORMATION_SCHEMA's declared names where the ids match (rows without ids keep theirs). */
function declaredNames(rows: Partial<CatalogRows>) {
  const tables = new Map<string, { schema: string; name: string }>();
  for (const r of rows.declaredTables ?? []) {
    if (r.object_id != null) tables.set(str(r.object_id), { schema: str(r.schema_name), name: str(r.table_name) });
  }
  const columns = new Map<string, string>();
  for (const r of rows.declaredColumns ?? []) {
    if (r.object_id != null && r.column_id != null) columns.set(`${str(r.object_id)}#${str(r.column_id)}`, str(r.column_name));
  }
  return {
    schema: (r: Record<string, unknown>, objectId = r.object_id, fallback = r.schema_name) => tables.get(str(objectId))?.schema ?? str(fallback),
    table: (r: Record<string, unknown>, objectId = r.object_id, fallback = r.table_name) => tables.get(str(objectId))?.name ?? str(fallback),
    column: (objectId: unknown, columnId: unknown, fallback: unknown) => columns.get(`${str(objectId)}#${str(columnId)}`) ?? str(fallback),
  };
}

export function rawFromCatalogRows(rows: CatalogRows | Omit<CatalogRows, 'declaredTables' | 'declaredColumns'>, flavor: ServerFlavor = 'sqlserver'): RawSchema {
  const names = declaredNames(rows);
  const filters = new Map((rows.babelfishFilters ?? []).map((r) => [`${str(r.object_id)}#${str(r.index_id)}`, babelfishPredicate(str(r.filter_definition))]));
  const tables = new Map<string, RawTable>();
  const keyOf = (r: Record<string, unknown>) => `${names.schema(r)}.${names.table(r)}`;
  for (const r of rows.tables) {
    const rowCount = Number(r.row_count ?? 0);
    const flags: string[] = [];
    if (Number(r.temporal_type) === 2) flags.push('system-versioned temporal table: migrated as a plain table (history table separately)');
    if (Number(r.temporal_type) === 1) flags.push('temporal history table: migrated as a plain table');
    if (Number(r.memory_optimized) === 1) flags.push('memory-optimized table: migrated as a plain table');
    tables.set(keyOf(r), {
      schema: names.schema(r), name: names.table(r), columns: [], indexes: [], foreignKeys: [], checks: [],
      rowCount, avgRowBytes: rowCount > 0 && r.used_pages != null ? Math.max(1, Math.round((Number(r.used_pages) * 8192) / rowCount)) : undefined,
      flags: flags.length ? flags : undefined,
    });
  }
  const table = (r: Record<string, unknown>) => {
    const t = tables.get(keyOf(r));
    if (!t) throw new Error(`catalog: ${keyOf(r)} is missing from sys.tables rows`);
    return t;
  };

  for (const r of rows.columns) {
    const userDefined = bool(r.is_user_defined);
    const assembly = bool(r.is_assembly_type);
    const typeName = str(r.type_name).toLowerCase();
    // Alias types resolve to their base system type; CLR types keep their own name.
    const base = userDefined && !assembly ? str(r.base_type).toLowerCase() : typeName;
    const flags: string[] = [];
    if (bool(r.is_rowguidcol)) flags.push('ROWGUIDCOL property dropped');
    if (bool(r.is_sparse)) flags.push('SPARSE property dropped');
    if (bool(r.is_filestream)) flags.push('FILESTREAM: the data is copied into bytea');
    const col: RawColumn = {
      name: names.column(r.object_id, r.column_id, r.column_name), type: base,
      aliasType: userDefined && !assembly ? `${str(r.type_schema)}.${str(r.type_name)}` : undefined,
      length: lengthOf(base, num(r.max_length)), precision: num(r.precision), scale: num(r.scale),
      nullable: bool(r.is_nullable), collation: (r.collation_name as string | null) ?? null,
      identity: bool(r.is_identity) ? { seed: str(r.identity_seed), increment: str(r.identity_increment) } : undefined,
      computed: bool(r.is_computed) ? { definition: str(r.computed_definition), persisted: bool(r.is_persisted) } : undefined,
      default: r.default_definition ? { name: str(r.default_name), definition: str(r.default_definition) } : undefined,
      xmlSchemaBound: Number(r.xml_collection_id ?? 0) > 0 || undefined,
      flags: flags.length ? flags : undefined,
    };
    if (userDefined && assembly) col.type = typeName; // CLR UDT: mapped by name (unknown -> bytea rule)
    // Babelfish reports decimal computed columns with an unreliable type (numeric(38,38) for a
    // decimal product): infer those from the expression, as the script parser does.
    if (flavor === 'babelfish' && col.computed && ['decimal', 'numeric'].includes(col.type)) Object.assign(col, { type: '', length: null, precision: null, scale: null });
    table(r).columns.push(col);
  }

  const indexes = new Map<string, RawIndex>();
  for (const r of rows.indexes) {
    const k = `${keyOf(r)}#${str(r.index_id)}`;
    let ix = indexes.get(k);
    if (!ix) {
      const typeDesc = str(r.type_desc).toLowerCase();
      ix = {
        name: declaredIndexName(str(r.index_name), str(r.table_name), flavor), primaryKey: bool(r.is_primary_key), unique: bool(r.is_unique), uniqueConstraint: bool(r.is_unique_constraint),
        type: typeDesc.replace(/_/g, ' '), columns: [], include: [],
        filter: bool(r.has_filter) ? str(r.filter_definition) : filters.get(`${str(r.object_id)}#${str(r.index_id)}`) ?? null, disabled: bool(r.is_disabled),
      };
      indexes.set(k, ix);
      table(r).indexes.push(ix);
    }
    const column = names.column(r.object_id, r.column_id, r.column_name);
    if (bool(r.is_included_column)) ix.include.push(column);
    else if (Number(r.key_ordinal) > 0) ix.columns.push({ name: column, descending: bool(r.is_descending_key) });
  }

  const fks = new Map<string, RawForeignKey>();
  for (const r of rows.foreignKeys) {
    const k = `${keyOf(r)}#${str(r.fk_name)}`;
    let fk = fks.get(k);
    if (!fk) {
      fk = {
        name: str(r.fk_name), columns: [], refSchema: names.schema(r, r.ref_object_id, r.ref_schema), refTable: names.table(r, r.ref_object_id, r.ref_table), refColumns: [],
        onDelete: str(r.on_delete), onUpdate: str(r.on_update), disabled: bool(r.is_disabled), notTrusted: bool(r.is_not_trusted),
      };
      fks.set(k, fk);
      table(r).foreignKeys.push(fk);
    }
    fk.columns.push(names.column(r.object_id, r.column_id, r.column_name));
    fk.refColumns.push(names.column(r.ref_object_id, r.ref_column_id, r.ref_column));
  }

  for (const r of rows.checks) {
    table(r).checks.push({ name: str(r.check_name), definition: str(r.definition), disabled: bool(r.is_disabled), notTrusted: bool(r.is_not_trusted) });
  }

  // Babelfish lists the sequence behind each identity column (`<table>_<column>_seq`) as an object.
  const identitySequences = new Set(flavor === 'babelfish'
    ? [...tables.values()].flatMap((t) => t.columns.filter((c) => c.identity).map((c) => `${t.schema}.${t.name}_${c.name}_seq`.toLowerCase()))
    : []);
  const objects: RawObject[] = rows.objects.filter((r) => !(str(r.type).trim() === 'SO' && identitySequences.has(`${str(r.schema_name)}.${str(r.name)}`.toLowerCase()))).map((r) => ({
    kind: objectKinds[str(r.type).trim()] ?? str(r.type), schema: str(r.schema_name), name: str(r.name),
    parent: r.parent_name ? str(r.parent_name) : undefined,
  }));
  const db = rows.database[0] ?? {};
  return { database: str(db.name), collation: (db.collation as string | null) ?? null, tables: [...tables.values()], objects };
}
