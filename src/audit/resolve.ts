import type { ColumnModel, SchemaModel, TableModel } from '../engines/schemaModel';
import { BadInputError } from '../contract/failures';

/** `schema.table` as the source names it (audit queries run against the source). */
export function sourceLabel(table: Pick<TableModel, 'schema' | 'name'>): string {
  return `${table.schema}.${table.name}`;
}

/**
 * Finds a table named in a manifest or a note: `schema.table` or a bare `table` (when unique),
 * by source or target name, exact first and then case-insensitively.
 */
export function findTable(model: SchemaModel, ref: string): TableModel | undefined {
  const candidates: ((t: TableModel) => string[])[] = [
    (t) => [`${t.schema}.${t.name}`, `${t.targetSchema}.${t.targetName}`],
    (t) => [t.name, t.targetName],
  ];
  for (const names of candidates) {
    for (const fold of [(s: string) => s, (s: string) => s.toLowerCase()]) {
      const hits = model.tables.filter((t) => names(t).some((n) => fold(n) === fold(ref)));
      if (hits.length === 1) return hits[0];
    }
  }
  return undefined;
}

export function findColumn(table: TableModel, ref: string): ColumnModel | undefined {
  return table.columns.find((c) => c.name === ref)
    ?? table.columns.find((c) => c.targetName === ref)
    ?? table.columns.find((c) => c.name.toLowerCase() === ref.toLowerCase());
}

export function requireTable(model: SchemaModel, ref: string, what: string): TableModel {
  const table = findTable(model, ref);
  if (!table) {
    throw new BadInputError(`${what}: table "${ref}" is not in the source (known: ${
      model.tables.slice(0, 20).map(sourceLabel).join(', ') || 'none'})`);
  }
  return table;
}

export function requireColumn(table: TableModel, ref: string | undefined, what: string): ColumnModel {
  if (!ref) throw new BadInputError(`${what}: a column is required`);
  const column = findColumn(table, ref);
  if (!column) {
    throw new BadInputError(`${what}: column "${ref}" is not in ${sourceLabel(table)} (columns: ${
      table.columns.map((c) => c.name).join(', ')})`);
  }
  return column;
}

/**
 * Maps a conversion note's object (`schema.table.column`, `table.column`, `schema.table`, ...)
 * to a table and optionally a column of the model.
 */
export function resolveNoteObject(model: SchemaModel, object: string): { table: TableModel; column?: ColumnModel } | undefined {
  const parts = object.split('.');
  for (let cut = parts.length - 1; cut >= 1; cut--) {
    const table = findTable(model, parts.slice(0, cut).join('.'));
    if (!table) continue;
    const rest = parts.slice(cut).join('.');
    const column = findColumn(table, rest);
    if (column) return { table, column };
  }
  const table = findTable(model, object);
  return table ? { table } : undefined;
}
