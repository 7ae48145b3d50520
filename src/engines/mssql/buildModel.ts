import type { CheckModel, ColumnModel, ConversionNote, ForeignKeyModel, IndexModel, KeyOrder, SchemaModel, TableModel } from '../schemaModel';
import { keyOrderOf } from './keyOrder';
import type { ColumnOverride } from '../../contract/migration';
import type { ServerFlavor } from './serverFlavor';
import type { RawSchema, RawColumn } from './rawSchema';
import { mappingWithOverride, type TypeMapping } from './typeMapping';
import { NameAllocator, targetIdentifier, targetSchemaName, type NamingOptions } from './identifiers';
import { inferComputedType, translateExpression, UntranslatableError, type ExprColumn } from './expressionTranslator';
import { mapMsType, parseMsType } from './typeMapping';
import { isTargetTypeName, TARGET_TYPE_RULE } from '../../contract/typeName';
import { BadInputError } from '../../contract/failures';

/**
 * RawSchema (what SQL Server has) -> SchemaModel (what the target gets). All translation
 * decisions live here and land in `notes`, so the live engine and the offline assessment
 * report the same things.
 *
 * Model conventions for SQL Server sources:
 * - column, index, FK and key column names inside the model are SOURCE names; FK refSchema/
 *   refTable are SOURCE names of the referenced table (look it up in `tables` for targets);
 * - a generated column's translated expression is in `defaultExpr`;
 * - checks carry an extra `trusted` flag (false -> NOT VALID).
 */

export interface BuildOptions extends NamingOptions {
  overrides?: ColumnOverride[];
  /** The server the catalog came from (key orders differ on Babelfish); SQL Server when absent. */
  flavor?: ServerFlavor;
}

export interface MssqlCheckModel extends CheckModel {
  trusted: boolean;
}

const fkActions: Record<string, string> = {
  NO_ACTION: 'NO ACTION', CASCADE: 'CASCADE', SET_NULL: 'SET NULL', SET_DEFAULT: 'SET DEFAULT',
};

const unsupportedIndexTypes = new Set(['xml', 'spatial', 'columnstore', 'clustered columnstore', 'nonclustered columnstore', 'fulltext']);

/** Target types that print any accepted text back unchanged (so an override keeps validation exact). */
function textStableOverride(targetType: string): boolean {
  return /^\s*(text|character varying|varchar|citext)\b/i.test(targetType);
}

export function columnMapping(c: RawColumn, override?: string): TypeMapping {
  return mappingWithOverride({ name: c.type, length: c.length, precision: c.precision, scale: c.scale }, override);
}

export function buildModel(raw: RawSchema, opts: BuildOptions = {}): SchemaModel {
  const notes: ConversionNote[] = [];
  const note = (severity: ConversionNote['severity'], object: string, message: string) => notes.push({ severity, object, message });
  // Checked again here (not only in the manifest): the type is written into DDL and casts.
  (opts.overrides ?? []).forEach((o, i) => {
    if (!isTargetTypeName(o.targetType)) throw new BadInputError(`options.columnOverrides[${i}].targetType (${o.column}) ${TARGET_TYPE_RULE}`);
  });
  const overrides = new Map((opts.overrides ?? []).map((o) => [o.column.toLowerCase(), o.targetType.trim().replace(/\s+/g, ' ')]));
  const usedOverrides = new Set<string>();

  // Relations (tables, indexes) share one namespace per PostgreSQL schema.
  const relNames = new Map<string, NameAllocator>();
  const relAlloc = (schema: string) => {
    let a = relNames.get(schema);
    if (!a) { a = new NameAllocator(); relNames.set(schema, a); }
    return a;
  };

  const tables: TableModel[] = [];
  const sorted = [...raw.tables].sort((a, b) => (a.schema + '.' + a.name).localeCompare(b.schema + '.' + b.name));
  const targetOf = new Map<string, { schema: string; name: string }>();
  for (const t of sorted) {
    const targetSchema = targetSchemaName(t.schema, opts);
    const wanted = targetIdentifier(t.name, opts);
    const targetName = relAlloc(targetSchema).allocate(wanted, targetIdentifier(t.schema, opts));
    if (targetName !== wanted) note('info', `${t.schema}.${t.name}`, `renamed to ${targetSchema}.${targetName} (name collision in the target)`);
    targetOf.set(`${t.schema}.${t.name}`.toLowerCase(), { schema: targetSchema, name: targetName });
  }

  for (const t of sorted) {
    const label = `${t.schema}.${t.name}`;
    const target = targetOf.get(label.toLowerCase())!;
    for (const f of t.flags ?? []) note('info', label, f);

    // ---- columns
    const colAlloc = new NameAllocator();
    const mappings = new Map<string, TypeMapping>();
    // Computed columns from a DDL script have no declared type: infer it from the expression.
    const untyped = t.columns.filter((c) => c.computed && !c.type);
    if (untyped.length) {
      const known = new Map<string, ExprColumn>(t.columns.filter((c) => c.type).map((c) => [c.name.toLowerCase(), { targetName: c.name, mapping: columnMapping(c) }]));
      for (const c of untyped) {
        const inferred = parseMsType(inferComputedType(c.computed!.definition, known));
        Object.assign(c, { type: inferred.name, length: inferred.length ?? null, precision: inferred.precision ?? null, scale: inferred.scale ?? null });
        note('info', `${label}.${c.name}`, `computed column type not stated in the script: inferred ${inferred.name}`);
      }
    }
    const columns: ColumnModel[] = t.columns.map((c) => {
      const key = `${t.schema}.${t.name}.${c.name}`.toLowerCase();
      const override = overrides.get(key);
      if (override) usedOverrides.add(key);
      const m = columnMapping(c, override);
      mappings.set(c.name.toLowerCase(), m);
      const object = `${label}.${c.name}`;
      if (override) {
        const family = (t: string) => t.toLowerCase().replace(/\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();
        const same = family(override) === family(mapMsType(parseMsType(m.sourceType === 'rowversion' ? 'timestamp' : m.sourceType)).targetType);
        if (!c.unresolvedType) note(same || textStableOverride(override) ? 'info' : 'lossy', object, `type overridden: ${m.sourceType} -> ${override}`
          + (same || textStableOverride(override) ? '' : `; values are sent in the text form of ${m.sourceType}: PostgreSQL must accept it, and validation compares it with how ${override} prints values`));
      }
      if (c.aliasType) note('info', object, `alias type ${c.aliasType} mapped through its base type ${m.sourceType}`);
      if (c.unresolvedType && !override) {
        note('unsupported', object, `type ${c.unresolvedType} is not a SQL Server system type and no alias type of that name is declared `
          + '(CREATE TYPE ... FROM or sp_addtype): the column cannot be mapped; declare the type or give a columnOverrides entry');
      }
      if (m.lossy && !override) note('lossy', object, m.lossy);
      if (c.xmlSchemaBound) note('lossy', object, 'typed xml: the XML schema collection is not enforced in PostgreSQL');
      for (const f of c.flags ?? []) note('info', object, f);
      const wanted = targetIdentifier(c.name, opts);
      const targetName = colAlloc.allocate(wanted, 'col');
      if (targetName !== wanted) note('info', object, `renamed to ${targetName} (name collision after lower-casing/shortening)`);
      const col: ColumnModel = {
        name: c.name, targetName, sourceType: m.sourceType, targetType: m.targetType,
        nullable: c.nullable, generated: false,
      };
      if (c.identity) {
        if (['smallint', 'integer', 'bigint'].includes(m.targetType)) {
          col.identity = { seed: c.identity.seed, increment: c.identity.increment, always: false };
        } else if (m.kind === 'numeric' && (c.scale ?? 0) === 0 && (c.precision ?? 18) <= 18 && !override) {
          col.targetType = 'bigint';
          col.identity = { seed: c.identity.seed, increment: c.identity.increment, always: false };
          mappings.set(c.name.toLowerCase(), { ...m, targetType: 'bigint', kind: 'int' });
          note('info', object, `identity ${m.sourceType} became bigint identity`);
        } else {
          note('unsupported', object, `identity on ${m.sourceType}: copied as a plain column without identity`);
        }
      }
      if (m.sourceType === 'rowversion') note('info', object, 'rowversion values are copied once; PostgreSQL does not update them');
      return col;
    });

    const computedNames = new Set(t.columns.filter((c) => c.computed).map((c) => c.name.toLowerCase()));
    // Any computed column counts as generated here: PostgreSQL generated columns cannot reference each other.
    const exprColumns = (): Map<string, ExprColumn> => new Map(columns.map((c) => [c.name.toLowerCase(), {
      targetName: c.targetName, mapping: mappings.get(c.name.toLowerCase())!, generated: c.generated || computedNames.has(c.name.toLowerCase()),
    }]));

    // ---- computed columns: generated where translatable, else materialized (copied as values)
    for (const c of t.columns) {
      if (!c.computed) continue;
      const col = columns.find((x) => x.name === c.name)!;
      try {
        const tr = translateExpression(c.computed.definition, { purpose: 'computed', columns: exprColumns(), target: mappings.get(c.name.toLowerCase()) });
        col.generated = true;
        col.defaultExpr = tr.sql;
        col.nullable = true;
        if (!c.computed.persisted) note('info', `${label}.${c.name}`, 'non-persisted computed column became a STORED generated column');
      } catch (err) {
        if (!(err instanceof UntranslatableError)) throw err;
        note('lossy', `${label}.${c.name}`, `computed column ${c.computed.definition} not translatable (${err.message}); its values are copied into a plain column`);
      }
    }

    // ---- defaults
    for (const c of t.columns) {
      if (!c.default) continue;
      const col = columns.find((x) => x.name === c.name)!;
      if (col.generated || col.identity) continue;
      try {
        const tr = translateExpression(c.default.definition, { purpose: 'default', columns: exprColumns(), target: mappings.get(c.name.toLowerCase()) });
        col.defaultExpr = tr.sql;
        for (const n of tr.notes) note('info', `${label}.${c.name}`, `default: ${n}`);
      } catch (err) {
        if (!(err instanceof UntranslatableError)) throw err;
        note('unsupported', `${label}.${c.name}`, `default ${c.default.definition} not translated: ${err.message}`);
      }
    }

    // ---- indexes
    const indexes: IndexModel[] = [];
    const alloc = relAlloc(target.schema);
    const tableExprCols = exprColumns();
    for (const ix of [...t.indexes].sort((a, b) => Number(b.primaryKey) - Number(a.primaryKey) || a.name.localeCompare(b.name))) {
      const object = `${label}.${ix.name}`;
      if (unsupportedIndexTypes.has(ix.type.toLowerCase())) { note('unsupported', object, `${ix.type} index not migrated`); continue; }
      if (ix.disabled) { note('info', object, 'disabled index not migrated'); continue; }
      const xmlCol = ix.columns.find((c) => ['xml', 'spatial'].includes(mappings.get(c.name.toLowerCase())?.kind ?? ''));
      if (xmlCol) { note('unsupported', object, `index on ${xmlCol.name} (no btree operator class for its target type) not migrated`); continue; }
      let where: string | undefined;
      if (ix.filter) {
        try {
          where = translateExpression(ix.filter, { purpose: 'filter', columns: tableExprCols }).sql;
        } catch (err) {
          if (!(err instanceof UntranslatableError)) throw err;
          if (ix.unique || ix.primaryKey) { note('unsupported', object, `filtered unique index not migrated: filter ${ix.filter}: ${err.message}`); continue; }
          note('lossy', object, `filter ${ix.filter} not translated (${err.message}); created as a full index`);
        }
      }
      if (ix.primaryKey && ix.columns.some((c) => c.descending)) note('info', object, 'descending primary-key columns become ascending (PostgreSQL constraints use default order)');
      const targetName = alloc.allocate(targetIdentifier(ix.name, opts), target.name);
      indexes.push({
        name: ix.name, targetName,
        columns: ix.columns.map((c) => ({ name: c.name, descending: ix.primaryKey ? false : c.descending })),
        include: ix.include, unique: ix.unique || ix.primaryKey, where, primaryKey: ix.primaryKey,
      });
    }

    // ---- usable key: its order must agree between SQL Server and PostgreSQL (chunk bounds are compared
    // on both sides): numbers and dates naturally, text by code point, uniqueidentifier in SQL Server's order
    const colByName = new Map(t.columns.map((c) => [c.name.toLowerCase(), c]));
    const orderOf = (n: string) => {
      const m = mappings.get(n.toLowerCase());
      const generated = columns.find((c) => c.name.toLowerCase() === n.toLowerCase())?.generated;
      return m && !generated ? keyOrderOf(m, opts.flavor) : null;
    };
    const notNull = (cols: string[]) => cols.every((n) => colByName.get(n.toLowerCase())?.nullable === false);
    const pk = indexes.find((i) => i.primaryKey);
    let key: string[] | null = null;
    let keyOrder: KeyOrder[] = [];
    const candidates = [pk, ...indexes.filter((i) => i.unique && !i.primaryKey && !i.where)].filter((x): x is IndexModel => !!x);
    // Prefer a key in natural order (index seeks, range splitting), then any usable one.
    for (const naturalOnly of [true, false]) {
      for (const ix of candidates) {
        const cols = ix.columns.map((c) => c.name);
        const orders = cols.map(orderOf);
        if (!(ix.primaryKey || notNull(cols)) || orders.some((o) => o === null)) continue;
        if (naturalOnly && orders.some((o) => o !== 'natural')) continue;
        key = cols;
        keyOrder = orders as KeyOrder[];
        break;
      }
      if (key) break;
    }
    if (!key) {
      note('info', label, candidates.length
        ? 'no key whose sort order is the same in SQL Server and PostgreSQL (binary/xml/computed keys): copied whole in one transaction'
        : 'no primary or unique not-null key: copied whole in one transaction, restarted whole on retry');
    } else {
      if (pk && key.join() !== pk.columns.map((c) => c.name).join()) {
        note('info', label, `paged on unique key (${key.join(', ')}) because the primary key's sort order differs between the engines`);
      }
      if (keyOrder.some((o) => o !== 'natural')) {
        note('info', label, `key (${key.join(', ')}) paged in ${keyOrder.includes('sqlserver-guid') ? "SQL Server's uniqueidentifier order" : 'binary (code point) order'} on both sides; not split into parallel ranges`);
      }
    }

    // ---- foreign keys
    const fkAlloc = new NameAllocator();
    const foreignKeys: ForeignKeyModel[] = [];
    for (const fk of t.foreignKeys) {
      const object = `${label}.${fk.name}`;
      const ref = targetOf.get(`${fk.refSchema}.${fk.refTable}`.toLowerCase());
      if (!ref) { note('unsupported', object, `references ${fk.refSchema}.${fk.refTable}, which is not migrated`); continue; }
      const trusted = !fk.disabled && !fk.notTrusted;
      if (!trusted) note('info', object, `${fk.disabled ? 'disabled' : 'untrusted'} in SQL Server: created NOT VALID (existing rows are not checked)`);
      foreignKeys.push({
        name: fk.name, targetName: fkAlloc.allocate(targetIdentifier(fk.name, opts), target.name),
        columns: fk.columns, refSchema: fk.refSchema, refTable: fk.refTable, refColumns: fk.refColumns,
        onDelete: fkActions[fk.onDelete.toUpperCase().replace(/ /g, '_')] ?? 'NO ACTION',
        onUpdate: fkActions[fk.onUpdate.toUpperCase().replace(/ /g, '_')] ?? 'NO ACTION',
        trusted,
      });
    }

    // ---- checks
    const checks: MssqlCheckModel[] = [];
    for (const ck of t.checks) {
      const object = `${label}.${ck.name}`;
      try {
        const tr = translateExpression(ck.definition, { purpose: 'check', columns: tableExprCols });
        const trusted = !ck.disabled && !ck.notTrusted;
        if (!trusted) note('info', object, `${ck.disabled ? 'disabled' : 'untrusted'} check: created NOT VALID`);
        checks.push({ name: ck.name, targetName: fkAlloc.allocate(targetIdentifier(ck.name, opts), target.name), expression: tr.sql, trusted });
      } catch (err) {
        if (!(err instanceof UntranslatableError)) throw err;
        note('unsupported', object, `check ${ck.definition} not translated: ${err.message}`);
      }
    }

    tables.push({
      schema: t.schema, name: t.name, targetSchema: target.schema, targetName: target.name,
      columns, key, ...(key && keyOrder.some((o) => o !== 'natural') ? { keyOrder } : {}), estimatedRows: t.rowCount ?? 0, avgRowBytes: t.avgRowBytes,
      indexes, foreignKeys, checks,
    });
  }

  for (const o of overrides.keys()) {
    if (!usedOverrides.has(o)) note('unsupported', o, 'column override names no column of the source');
  }
  const ciColumns = raw.tables.reduce((n, t) => n + t.columns.filter((c) => /_CI_/i.test(c.collation ?? '')).length, 0);
  if (ciColumns > 0 || /_CI_/i.test(raw.collation ?? '')) {
    note('info', raw.database, `case-insensitive collation (${raw.collation ?? 'per column'}; ${ciColumns} text columns): comparisons and unique constraints are case-sensitive in PostgreSQL`);
  }

  const notMigrated = raw.objects.map((o) => ({
    kind: o.kind,
    name: o.parent ? `${o.schema}.${o.parent}.${o.name}` : `${o.schema}.${o.name}`,
    reason: notMigratedReason(o.kind),
  }));
  return { sourceKind: 'mssql', tables, notMigrated, notes };
}

function notMigratedReason(kind: string): string {
  switch (kind) {
    case 'view': case 'procedure': case 'function': case 'trigger':
      return `T-SQL ${kind} code needs a manual port to PL/pgSQL`;
    case 'synonym': return 'synonyms have no PostgreSQL equivalent (use a view or search_path)';
    case 'sequence': return 'sequences are not migrated (identity columns are)';
    case 'type': return 'user-defined table types are not migrated';
    default: return `${kind} is not migrated`;
  }
}

/** The target table a FK references. */
export function referencedTable(model: SchemaModel, fk: ForeignKeyModel): TableModel | undefined {
  return model.tables.find((t) => t.schema.toLowerCase() === fk.refSchema.toLowerCase() && t.name.toLowerCase() === fk.refTable.toLowerCase());
}
