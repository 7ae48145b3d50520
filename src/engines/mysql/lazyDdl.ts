/**
 * DDL for the lazy migration on MySQL 8 / MariaDB: tables from the plan (parent, child tables with
 * FK and position, rejects) and the bookkeeping tables (stage control, writers, per-document state, checkpoints).
 */
import type { ColumnType, CollectionPlan, IdType, LazyPlan } from '../../contract/lazyPlan';
import { quoteIdent as q } from './quoting';

export const CONTROL_TABLE = '_tmig_lazy_control';
export const WRITERS_TABLE = '_tmig_lazy_writers';
export const DOC_STATE_TABLE = '_tmig_lazy_docs';
export const CHECKPOINT_TABLE = '_tmig_lazy_checkpoint';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export function columnSqlType(type: ColumnType, maxLength?: number): string {
  switch (type) {
    case 'string': return `VARCHAR(${maxLength ?? 255})`;
    case 'text': return 'MEDIUMTEXT';
    case 'int': return 'BIGINT';
    case 'double': return 'DOUBLE';
    case 'decimal': return 'VARCHAR(64)'; // Decimal128 kept exact as text
    case 'bool': return 'TINYINT(1)';
    case 'date': return 'DATETIME(3)';
    case 'objectId': return 'CHAR(24) CHARACTER SET ascii COLLATE ascii_bin';
    case 'json': return 'JSON';
  }
}

export function idSqlType(idType: IdType): string {
  return idType === 'objectId' ? columnSqlType('objectId') : idType === 'int' ? 'BIGINT' : 'VARCHAR(255)';
}

export function rejectsTable(c: CollectionPlan): string {
  return `${c.table}__rejects`;
}

export function collectionDdl(c: CollectionPlan): string[] {
  const cols = c.columns.map((col) => `${q(col.column)} ${columnSqlType(col.type, col.maxLength)} NULL`);
  const out = [`CREATE TABLE IF NOT EXISTS ${q(c.table)} (${[`${q('_id')} ${idSqlType(c.idType)} NOT NULL`, ...cols, `PRIMARY KEY (${q('_id')})`].join(', ')}) ${TABLE_OPTIONS}`];
  for (const ch of c.children) {
    const childCols = ch.columns.map((col) => `${q(col.column)} ${columnSqlType(col.type, col.maxLength)} NULL`);
    out.push(`CREATE TABLE IF NOT EXISTS ${q(ch.table)} (${[
      `${q('_parent_id')} ${idSqlType(c.idType)} NOT NULL`, `${q('_position')} INT NOT NULL`, ...childCols,
      `PRIMARY KEY (${q('_parent_id')}, ${q('_position')})`,
      `CONSTRAINT ${q(fkName(ch.table))} FOREIGN KEY (${q('_parent_id')}) REFERENCES ${q(c.table)} (${q('_id')}) ON DELETE CASCADE`,
    ].join(', ')}) ${TABLE_OPTIONS}`);
  }
  out.push(`CREATE TABLE IF NOT EXISTS ${q(rejectsTable(c))} (${q('_id_text')} VARCHAR(255) NOT NULL, ${q('reason')} TEXT NOT NULL, `
    + `${q('document')} LONGTEXT NOT NULL, ${q('found_by')} VARCHAR(16) NOT NULL, ${q('rejected_at')} DATETIME(6) NOT NULL, `
    + `PRIMARY KEY (${q('_id_text')})) ${TABLE_OPTIONS}`);
  return out;
}

function fkName(table: string): string {
  const name = `fk_${table}`;
  return name.length <= 64 ? name : name.slice(0, 64);
}

export function bookkeepingDdl(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${q(CONTROL_TABLE)} (service VARCHAR(128) NOT NULL, stage TINYINT NOT NULL, `
      + 'stage_changed_at DATETIME(6) NOT NULL, dual_confirmed_at DATETIME(6) NULL, validation_passed TINYINT NOT NULL DEFAULT 0, '
      + 'validated_at DATETIME(6) NULL, backfill_done TINYINT NOT NULL DEFAULT 0, cleanup_done TINYINT NOT NULL DEFAULT 0, '
      + `plan_json LONGTEXT NOT NULL, PRIMARY KEY (service)) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${q(WRITERS_TABLE)} (service VARCHAR(128) NOT NULL, instance_id VARCHAR(64) NOT NULL, `
      + `stage_seen TINYINT NOT NULL, last_seen DATETIME(6) NOT NULL, PRIMARY KEY (service, instance_id)) ${TABLE_OPTIONS}`,
    // One row per document the library or the backfill touched: is the MySQL copy current, who wrote it.
    `CREATE TABLE IF NOT EXISTS ${q(DOC_STATE_TABLE)} (coll VARCHAR(64) NOT NULL, doc_id VARCHAR(255) NOT NULL, `
      + 'pending INT NOT NULL DEFAULT 0, origin VARCHAR(12) NOT NULL, app_owned TINYINT NOT NULL DEFAULT 0, '
      + `tombstone TINYINT NOT NULL DEFAULT 0, synced_at DATETIME(6) NOT NULL, PRIMARY KEY (coll, doc_id)) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${q(CHECKPOINT_TABLE)} (coll VARCHAR(64) NOT NULL, last_id VARCHAR(255) NULL, `
      + 'docs_read BIGINT NOT NULL DEFAULT 0, docs_copied BIGINT NOT NULL DEFAULT 0, docs_skipped BIGINT NOT NULL DEFAULT 0, '
      + 'docs_rejected BIGINT NOT NULL DEFAULT 0, chunks BIGINT NOT NULL DEFAULT 0, done TINYINT NOT NULL DEFAULT 0, '
      + `updated_at DATETIME(6) NOT NULL, PRIMARY KEY (coll)) ${TABLE_OPTIONS}`,
  ];
}

export function planDdl(plan: LazyPlan): string[] {
  return [...bookkeepingDdl(), ...plan.collections.flatMap(collectionDdl)];
}
