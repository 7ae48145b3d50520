/**
 * The final check of a cutover: one table read whole from the frozen source and from the
 * target, in key order, through the canonical encoding, compared by row count and checksum.
 */
import { hashStream } from './hashStream';
import type { SourceEngine } from '../engines/sourceEngine';
import type { PostgresTarget } from '../engines/postgres/target';
import type { TableModel } from '../engines/schemaModel';
import type { Client } from 'pg';
import { FULL_RANGE } from '../engines/sourceEngine';

export interface FrozenTableCheck {
  table: string;
  sourceRows: number;
  targetRows: number;
  ok: boolean;
  /** Shortened checksums, for the report. */
  sourceChecksum: string;
  targetChecksum: string;
}

export async function checkTableAgainstFrozenSource(engine: SourceEngine, target: PostgresTarget, db: Client, table: TableModel, label: string): Promise<FrozenTableCheck> {
  const bounds = { range: FULL_RANGE, after: null, upTo: null, limit: null };
  const [src, tgt] = await Promise.all([
    engine.readChunk({ table, ...bounds }).then((s) => hashStream(s, 'ordered-sha256')),
    hashStream(target.readBack(db, table, bounds), 'ordered-sha256'),
  ]);
  return {
    table: label, sourceRows: src.rows, targetRows: tgt.rows, ok: src.rows === tgt.rows && src.checksum === tgt.checksum,
    sourceChecksum: src.checksum.slice(0, 16), targetChecksum: tgt.checksum.slice(0, 16),
  };
}
