/**
 * A target engine: where a tenant's database is written. It prepares the database and its
 * bookkeeping, applies pre-data and post-data DDL, writes chunks with their checkpoints in one
 * transaction (see the engine's checkpoint store), reads ranges back for validation and marks
 * the run's outcome. PostgreSQL is the first implementation (engines/postgres/target.ts).
 */
import type { SchemaModel } from './schemaModel';
import type { DatabaseLocale, DdlStep, SequenceState } from './sourceEngine';

export type PrepareOutcome = 'new' | 'resume' | 'complete';

export interface TargetEngine {
  readonly kind: string;
  /** Creates (or reopens) the database and its bookkeeping; refuses databases it did not create. */
  prepare(tenantId: string, sourceLabel: string, locale?: DatabaseLocale, replaceExisting?: boolean): Promise<PrepareOutcome>;
  /** Stores the schema model once; every later call and retry gets the stored one. */
  saveModel(model: SchemaModel): Promise<SchemaModel>;
  /** Pre-data DDL, all or nothing; false when it had already been applied. */
  applyPreData(steps: DdlStep[]): Promise<boolean>;
  /** Post-data DDL, each step once; returns the number applied now. */
  applyPostData(steps: DdlStep[], parallelism: number, onStep?: (label: string) => void): Promise<number>;
  syncSequences(states: SequenceState[]): Promise<void>;
  markComplete(): Promise<void>;
  markFailed(reason: string): Promise<void>;
}
