import type { Client } from 'pg';
import type { ForeignKeyModel, IndexModel, SchemaModel, TableModel } from '../engines/schemaModel';
import { tableLabel } from '../engines/schemaModel';
import type { SequenceState } from '../engines/sourceEngine';
import type { ValidationFinding } from '../contract/migration';
import { readTargetCatalog, type TargetTableCatalog } from './targetCatalog';
import { normalisePgType } from './typeNames';
import { FailureType, PermanentError } from '../contract/failures';

import { quoteIdent as q } from '../engines/postgres/quoting';

/** Target column name of a model column (model keys, indexes and FKs name source columns). */
function targetColumn(table: TableModel, name: string): string {
  return (table.columns.find((c) => c.name === name) ?? table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase()))?.targetName ?? name;
}

function sameList(a: (string | null)[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class IntegrityCheck {
  readonly findings: ValidationFinding[] = [];
  constructor(private readonly client: Client, private readonly model: SchemaModel) {}

  fail(check: string, table: TableModel, message: string): void {
    this.findings.push({ check, table: tableLabel(table), ok: false, message: `${tableLabel(table)}: ${message}` });
  }

  private async scalar(sql: string, params: unknown[] = []): Promise<string | null> {
    const row = (await this.client.query(sql, params)).rows[0];
    const v = row ? Object.values(row)[0] : null;
    return v === null || v === undefined ? null : String(v);
  }

  columns(table: TableModel, cat: TargetTableCatalog): number {
    let checked = 0;
    for (const col of table.columns) {
      const actual = cat.columns.get(col.targetName);
      checked++;
      if (actual === undefined) {
        this.fail('columnType', table, `column ${col.targetName} is missing (planned ${col.targetType})`);
      } else if (normalisePgType(actual) !== normalisePgType(col.targetType)) {
        this.fail('columnType', table, `column ${col.targetName} is ${actual}, planned ${col.targetType}`);
      }
    }
    return checked;
  }

  /** Primary and unique keys: a valid unique index on the same columns; when absent, count duplicates. */
  async keys(table: TableModel, cat: TargetTableCatalog, idx: IndexModel): Promise<void> {
    const cols = idx.columns.map((c) => targetColumn(table, c.name));
    const check = idx.primaryKey ? 'primaryKey' : 'unique';
    const what = `${idx.primaryKey ? 'primary key' : 'unique index'} ${idx.targetName} (${cols.join(', ')})`;
    const found = cat.indexes.filter((i) => i.unique && (!idx.primaryKey || i.primary) && sameList(i.columns, cols)
      && i.partial === !!idx.where);
    if (found.some((i) => i.valid)) return;
    const dup = await this.scalar(`SELECT count(*) FROM (SELECT 1 FROM ONLY ${q(table.targetSchema)}.${q(table.targetName)}
      WHERE ${cols.map((c) => `${q(c)} IS NOT NULL`).join(' AND ')} GROUP BY ${cols.map(q).join(', ')} HAVING count(*) > 1) d`);
    const dupText = Number(dup) > 0 ? `; ${dup} key value(s) are duplicated` : '; no duplicate values';
    this.fail(check, table, `${what} ${found.length ? 'is not valid' : 'is missing'} in the target${dupText}`);
  }

  indexes(table: TableModel, cat: TargetTableCatalog, idx: IndexModel): void {
    const cols = idx.columns.map((c) => targetColumn(table, c.name));
    const found = cat.indexes.find((i) => i.name === idx.targetName)
      ?? cat.indexes.find((i) => sameList(i.columns, cols) && i.unique === idx.unique && i.partial === !!idx.where);
    if (!found) this.fail('index', table, `index ${idx.targetName} (${cols.join(', ')}) is missing in the target`);
    else if (!found.valid) this.fail('index', table, `index ${found.name} (${cols.join(', ')}) is not valid (failed build?)`);
  }

  /** Every FK present; validated unless planned NOT VALID (untrusted in the source); orphans counted either way. */
  async foreignKey(table: TableModel, cat: TargetTableCatalog, fk: ForeignKeyModel): Promise<boolean> {
    // refSchema/refTable are source names; SQL Server compares names case-insensitively.
    const lower = (s: string) => s.toLowerCase();
    const parent = this.model.tables.find((t) => t.schema === fk.refSchema && t.name === fk.refTable)
      ?? this.model.tables.find((t) => lower(t.schema) === lower(fk.refSchema) && lower(t.name) === lower(fk.refTable))
      ?? this.model.tables.find((t) => t.targetSchema === fk.refSchema && t.targetName === fk.refTable);
    const refSchema = parent?.targetSchema ?? fk.refSchema;
    const refTable = parent?.targetName ?? fk.refTable;
    const refCols = fk.refColumns.map((c) => (parent ? targetColumn(parent, c) : c));
    const cols = fk.columns.map((c) => targetColumn(table, c));
    const what = `foreign key ${fk.targetName} (${cols.join(', ')}) -> ${refSchema}.${refTable}(${refCols.join(', ')})`;
    const con = cat.constraints.find((c) => c.type === 'f' && c.name === fk.targetName)
      ?? cat.constraints.find((c) => c.type === 'f' && sameList(c.columns, cols) && c.refSchema === refSchema
        && c.refTable === refTable && sameList(c.refColumns, refCols));
    const orphans = Number(await this.scalar(`SELECT count(*) FROM ONLY ${q(table.targetSchema)}.${q(table.targetName)} t
      WHERE ${cols.map((c) => `t.${q(c)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (
        SELECT 1 FROM ONLY ${q(refSchema)}.${q(refTable)} p WHERE ${cols.map((c, i) => `p.${q(refCols[i])} = t.${q(c)}`).join(' AND ')})`));
    const orphanText = orphans > 0 ? `; ${orphans} row(s) have no parent row` : '';
    if (!con) {
      this.fail('foreignKey', table, `${what} is missing in the target${orphanText}`);
    } else if (!con.validated && fk.trusted) {
      this.fail('foreignKey', table, `${what} is NOT VALID (not validated) in the target${orphanText}`);
    } else if (orphans > 0 && fk.trusted) {
      this.fail('foreignKey', table, `${what}${orphanText}`);
    } else if (!fk.trusted) {
      this.findings.push({ check: 'foreignKey', table: tableLabel(table), ok: true,
        message: `${tableLabel(table)}: ${what} is ${con.validated ? 'validated' : 'NOT VALID as planned (untrusted in the source)'}${orphanText}` });
    }
    return true;
  }

  checks(table: TableModel, cat: TargetTableCatalog): void {
    for (const chk of table.checks) {
      const con = cat.constraints.find((c) => c.type === 'c' && c.name === chk.targetName);
      if (!con) this.fail('check', table, `check constraint ${chk.targetName} is missing in the target`);
      else if (!con.validated) this.fail('check', table, `check constraint ${chk.targetName} is NOT VALID in the target`);
    }
  }

  /** Sequences owned by the table's columns must hand out a value past the column's max (and past the source's position). */
  async sequences(table: TableModel, cat: TargetTableCatalog, source: Map<number, SequenceState>): Promise<number> {
    let checked = 0;
    for (const col of table.columns.filter((c) => c.identity)) {
      if (!cat.sequences.some((s) => s.column === col.targetName)) {
        this.fail('sequence', table, `identity column ${col.targetName} has no sequence in the target`);
      }
    }
    for (const seq of cat.sequences) {
      checked++;
      const state = (await this.client.query(`SELECT last_value::text AS last, is_called FROM ${seq.sequence}`)).rows[0];
      const inc = BigInt(seq.increment);
      const next = state.is_called ? BigInt(state.last) + inc : BigInt(state.last);
      const max = await this.scalar(`SELECT max(${q(seq.column)})::text FROM ONLY ${q(table.targetSchema)}.${q(table.targetName)}`);
      if (inc > 0n && max !== null && next <= BigInt(max.split('.')[0])) {
        this.fail('sequence', table, `sequence ${seq.sequence} would hand out ${next} but ${seq.column} already reaches ${max}`);
      }
      const src = source.get(seq.oid);
      if (src && inc > 0n) {
        const srcNext = src.isCalled ? BigInt(src.lastValue) + inc : BigInt(src.lastValue);
        if (next < srcNext) {
          this.fail('sequence', table, `sequence ${seq.sequence} would hand out ${next}, behind the source's next value ${srcNext}`);
        }
      }
    }
    return checked;
  }
}

/**
 * Checks the structure of a migrated target against the model: tables, column types, primary
 * and unique keys, indexes, foreign keys (validated, no orphans), check constraints and sequences.
 * Returns one failed finding per problem (naming the table) and one passing summary per table.
 */
export async function checkTargetIntegrity(target: Client, model: SchemaModel, sourceSequences: SequenceState[] = []): Promise<ValidationFinding[]> {
  const check = new IntegrityCheck(target, model);
  const catalog = await readTargetCatalog(target, model.tables.map((t) => ({ schema: t.targetSchema, name: t.targetName })));
  // Source states name target sequences as quoted text: resolve them to OIDs in the target.
  const source = new Map<number, SequenceState>();
  if (sourceSequences.length) {
    const oids = await target.query('SELECT to_regclass(s)::oid::int AS oid FROM unnest($1::text[]) WITH ORDINALITY u(s, i) ORDER BY i',
      [sourceSequences.map((s) => s.sequence)]);
    oids.rows.forEach((r, i) => { if (r.oid !== null) source.set(r.oid, sourceSequences[i]); });
  }
  for (const table of model.tables) {
    const cat = catalog.get(tableLabel(table));
    if (!cat) {
      check.fail('table', table, 'table is missing in the target');
      continue;
    }
    const before = check.findings.filter((f) => !f.ok).length;
    const columns = check.columns(table, cat);
    let keys = 0;
    let indexes = 0;
    for (const idx of table.indexes) {
      // Keys are checked as keys (with a duplicate count); other indexes by name or columns.
      if (idx.primaryKey || idx.unique) { await check.keys(table, cat, idx); keys++; } else { check.indexes(table, cat, idx); indexes++; }
    }
    for (const fk of table.foreignKeys) await check.foreignKey(table, cat, fk);
    check.checks(table, cat);
    const sequences = await check.sequences(table, cat, source);
    if (check.findings.filter((f) => !f.ok).length === before) {
      check.findings.push({ check: 'integrity', table: tableLabel(table), ok: true,
        message: `${tableLabel(table)}: ${columns} column types, ${keys} keys, ${indexes} indexes, ${table.foreignKeys.length} foreign keys, ` +
          `${table.checks.length} checks, ${sequences} sequences as planned` });
    }
  }
  return check.findings;
}

/** Throws a permanent ValidationMismatch naming every failed integrity check (for the tenant's failure). */
export function assertIntegrity(findings: ValidationFinding[], tenantId: string): void {
  const failed = findings.filter((f) => !f.ok);
  if (failed.length === 0) return;
  const shown = failed.slice(0, 20).map((f) => f.message).join('; ');
  throw new PermanentError(FailureType.ValidationMismatch,
    `tenant ${tenantId}: target integrity check failed (${failed.length} problems): ${shown}${failed.length > 20 ? '; ...' : ''}`,
    { failed });
}
