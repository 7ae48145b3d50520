import type { Readable } from 'node:stream';
import type { SchemaModel, TableModel, ConversionNote } from '../engines/model';
import type { DatabaseLocale, DdlStep, KeyRange, ReadChunkRequest, SequenceState, SourceEngine } from '../engines/types';
import { checkPlan, discoverPlan, SplitPlanError } from './discoverPlan';
import { planTableName, type SourceSplit, type SplitPlan } from '../contract/splitPlan';
import { pathIndex, slicePredicate, sliceDialect, tableRole, tenantIndex } from './sliceSql';

/**
 * A tenant slice of a shared database as a source engine: wraps the shared database's own
 * engine and adds the tenant's row condition to every count, range plan and chunk read, so the
 * copy, checkpoints, checksums and validation work per slice exactly as for a whole database.
 */
export class SliceSourceEngine implements SourceEngine {
  readonly kind: string;

  constructor(private readonly base: SourceEngine, private readonly split: SourceSplit, private readonly label: string) {
    this.kind = base.kind;
  }

  /** The plan this slice runs by: the declared one (checked), or one discovered from the tenant column. */
  async plan(full: SchemaModel): Promise<SplitPlan> {
    if (typeof this.split.plan === 'string') {
      throw new SplitPlanError(`${this.label}: split plan "${this.split.plan}" was not resolved from the wave's splitPlans`);
    }
    if (this.split.plan) {
      checkPlan(full, this.split.plan);
      return this.split.plan;
    }
    const found = discoverPlan(full, this.split.tenantKey.column!);
    if (found.unplaceable.length) {
      throw new SplitPlanError(`${this.label}: split by ${this.split.tenantKey.column}: cannot place table ${found.unplaceable.join(', ')} (declare it in a split plan as rooted, reached, shared or excluded)`);
    }
    return found.plan;
  }

  async describe(): Promise<SchemaModel> {
    const full = await this.base.describe();
    const plan = await this.plan(full);
    const dialect = sliceDialect(this.base.kind);
    const byName = new Map(full.tables.map((t) => [planTableName(t), t]));
    const lookup = (n: string) => {
      const t = byName.get(n);
      if (!t) throw new SplitPlanError(`${this.label}: split plan names table ${n}, which is not in the source`);
      return t;
    };
    const tables: TableModel[] = [];
    const notes: ConversionNote[] = [...full.notes];
    for (const t of full.tables) {
      const role = tableRole(plan, t);
      const n = planTableName(t);
      if (role.kind === 'excluded') {
        notes.push({ severity: 'info', object: n, message: 'split: excluded by the plan (the table exists, empty)' });
        continue;
      }
      const filter = slicePredicate(dialect, plan, t, this.split.tenantKey.value, lookup);
      const slice: TableModel = filter ? { ...t, rowFilter: filter } : { ...t };
      if (filter) slice.estimatedRows = await this.base.count(t, undefined, filter);
      notes.push({ severity: 'info', object: n, message: accessNote(t, role, plan) });
      tables.push(slice);
    }
    return { ...full, tables, notes };
  }

  // The full schema goes to every tenant (excluded tables included, empty).
  async preDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    return this.base.preDataSteps(await this.withExcluded(model));
  }

  async postDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    return this.base.postDataSteps(await this.withExcluded(model));
  }

  private async withExcluded(model: SchemaModel): Promise<SchemaModel> {
    if (this.base.kind === 'postgres') return model; // pg_dump takes the schema from the database itself
    const full = await this.base.describe();
    const have = new Set(model.tables.map(planTableName));
    return { ...model, tables: [...model.tables, ...full.tables.filter((t) => !have.has(planTableName(t)))] };
  }

  /** Without keepGlobalSequences no position is carried: the target sets each sequence past the tenant's own max. */
  async sequenceStates(model: SchemaModel): Promise<SequenceState[]> {
    const plan = typeof this.split.plan === 'object' ? this.split.plan : undefined;
    return plan?.keepGlobalSequences ? this.base.sequenceStates(model) : [];
  }

  count(table: TableModel, range?: KeyRange): Promise<number> {
    return this.base.count(table, range, table.rowFilter);
  }

  planRanges(table: TableModel, parts: number): Promise<KeyRange[]> {
    return this.base.planRanges(table, parts, table.rowFilter);
  }

  readChunk(req: ReadChunkRequest): Promise<Readable> {
    return this.base.readChunk({ ...req, filter: req.table.rowFilter });
  }

  async databaseLocale(): Promise<DatabaseLocale | undefined> {
    return this.base.databaseLocale?.();
  }

  close(): Promise<void> {
    return this.base.close();
  }
}

/** Says how a slice of this table is read, and why a table is scanned when it is (the report shows it). */
export function accessNote(t: TableModel, role: ReturnType<typeof tableRole>, plan: SplitPlan): string {
  switch (role.kind) {
    case 'shared': return 'split: shared, copied whole to every tenant (one full read per tenant)';
    case 'excluded': return 'split: excluded';
    case 'rooted': {
      const ix = tenantIndex(t, role.column);
      if (ix?.withKey) return `split: rooted on ${role.column}; slice read by index ${ix.name} (tenant, key): no scan`;
      if (ix) return `split: rooted on ${role.column}; slice found by index ${ix.name}, sorted by key per chunk (no (${role.column}, key) index)`;
      return `split: rooted on ${role.column}; SCANNED: no index starts with ${role.column}, so every chunk of every slice scans the table (~${t.estimatedRows} rows per chunk query); create an index on (${[role.column, ...(t.key ?? []).filter((k) => k !== role.column)].join(', ')})`;
    }
    case 'reached': {
      const via = role.path.steps.map((s) => `${s.from}(${s.columns.join(', ')}) -> ${s.to}`).join(', ');
      const ix = pathIndex(t, role.path);
      const last = role.path.steps[role.path.steps.length - 1].to;
      return ix
        ? `split: reached via ${via} (tenant column ${plan.rooted[last]}); slice read by semi-join through index ${ix}`
        : `split: reached via ${via}; SCANNED: no index on ${t.schema}.${t.name}(${role.path.steps[0].columns.join(', ')}), so the semi-join scans the table for each slice`;
    }
  }
}
