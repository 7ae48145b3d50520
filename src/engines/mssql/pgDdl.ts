import type { SchemaModel, TableModel, ColumnModel } from '../schemaModel';
import type { DdlStep } from '../sourceEngine';
import { pgIdent, pgQualified } from './identifiers';
import { referencedTable } from './buildModel';

/**
 * PostgreSQL DDL from a SQL Server-sourced SchemaModel. Pre-data: schemas and tables
 * (identity, defaults, generated columns). Post-data: primary keys, unique and other
 * indexes, checks (group 0), then foreign keys (group 1, they need the referenced keys).
 */

function targetCol(table: TableModel, sourceName: string): ColumnModel {
  const c = table.columns.find((x) => x.name === sourceName) ?? table.columns.find((x) => x.name.toLowerCase() === sourceName.toLowerCase());
  if (!c) throw new Error(`table ${table.schema}.${table.name}: no column ${sourceName}`);
  return c;
}

const colIdent = (t: TableModel, name: string) => pgIdent(targetCol(t, name).targetName);

export function columnDefinition(c: ColumnModel): string {
  let def = `${pgIdent(c.targetName)} ${c.targetType}`;
  if (c.generated && c.defaultExpr) return `${def} GENERATED ALWAYS AS (${c.defaultExpr}) STORED`;
  if (c.identity) {
    def += ` GENERATED ${c.identity.always ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY (START WITH ${c.identity.seed} INCREMENT BY ${c.identity.increment}`;
    // Negative seeds/increments need explicit bounds (PostgreSQL's defaults start at 1).
    if (BigInt(c.identity.increment) < 0n) def += ` MAXVALUE ${c.identity.seed}`;
    else if (BigInt(c.identity.seed) < 1n) def += ` MINVALUE ${c.identity.seed}`;
    def += ')';
  } else if (c.defaultExpr) {
    def += ` DEFAULT ${c.defaultExpr}`;
  }
  if (!c.nullable) def += ' NOT NULL';
  return def;
}

export function createTableSql(t: TableModel): string {
  const cols = t.columns.map((c) => '  ' + columnDefinition(c));
  return `CREATE TABLE ${pgQualified(t.targetSchema, t.targetName)} (\n${cols.join(',\n')}\n)`;
}

export function preDataSteps(model: SchemaModel): DdlStep[] {
  const steps: DdlStep[] = [];
  const schemas = [...new Set(model.tables.map((t) => t.targetSchema))].sort();
  for (const s of schemas) steps.push({ label: `schema ${s}`, sql: `CREATE SCHEMA IF NOT EXISTS ${pgIdent(s)}`, group: 0 });
  for (const t of model.tables) steps.push({ label: `table ${t.targetSchema}.${t.targetName}`, sql: createTableSql(t), group: 1 });
  return steps;
}

export function postDataSteps(model: SchemaModel): DdlStep[] {
  const steps: DdlStep[] = [];
  for (const t of model.tables) {
    const table = pgQualified(t.targetSchema, t.targetName);
    const label = `${t.targetSchema}.${t.targetName}`;
    for (const ix of t.indexes) {
      if (ix.primaryKey) {
        steps.push({ label: `primary key ${label}.${ix.targetName}`, group: 0,
          sql: `ALTER TABLE ${table} ADD CONSTRAINT ${pgIdent(ix.targetName)} PRIMARY KEY (${ix.columns.map((c) => colIdent(t, c.name)).join(', ')})` });
        continue;
      }
      const cols = ix.columns.map((c) => colIdent(t, c.name) + (c.descending ? ' DESC' : '')).join(', ');
      const include = ix.include.length ? ` INCLUDE (${ix.include.map((n) => colIdent(t, n)).join(', ')})` : '';
      // SQL Server unique indexes allow one NULL, like NULLS NOT DISTINCT (PostgreSQL 15+).
      const nullsNotDistinct = ix.unique && !ix.where && ix.columns.some((c) => targetCol(t, c.name).nullable) ? ' NULLS NOT DISTINCT' : '';
      const where = ix.where ? ` WHERE ${ix.where}` : '';
      steps.push({ label: `index ${label}.${ix.targetName}`, group: 0,
        sql: `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${pgIdent(ix.targetName)} ON ${table} (${cols})${include}${nullsNotDistinct}${where}` });
    }
    for (const ck of t.checks) {
      const trusted = (ck as { trusted?: boolean }).trusted !== false;
      steps.push({ label: `check ${label}.${ck.targetName}`, group: 0,
        sql: `ALTER TABLE ${table} ADD CONSTRAINT ${pgIdent(ck.targetName)} CHECK (${ck.expression})${trusted ? '' : ' NOT VALID'}` });
    }
    for (const fk of t.foreignKeys) {
      const ref = referencedTable(model, fk);
      if (!ref) throw new Error(`${label}: foreign key ${fk.name} references ${fk.refSchema}.${fk.refTable}, which is not in the model`);
      steps.push({ label: `foreign key ${label}.${fk.targetName}`, group: 1,
        sql: `ALTER TABLE ${table} ADD CONSTRAINT ${pgIdent(fk.targetName)} FOREIGN KEY (${fk.columns.map((c) => colIdent(t, c)).join(', ')}) `
          + `REFERENCES ${pgQualified(ref.targetSchema, ref.targetName)} (${fk.refColumns.map((c) => colIdent(ref, c)).join(', ')}) `
          + `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}${fk.trusted ? '' : ' NOT VALID'}` });
    }
  }
  return steps;
}

/** One loadable script (used by the offline assessment). */
export function schemaScript(model: SchemaModel): string {
  const byGroup = (steps: DdlStep[]) => [...steps].sort((a, b) => a.group - b.group);
  const parts = [...byGroup(preDataSteps(model)), ...byGroup(postDataSteps(model))].map((s) => `-- ${s.label}\n${s.sql};\n`);
  return parts.join('\n');
}
