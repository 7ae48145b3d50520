import type { Readable } from 'node:stream';
import type { SchemaModel, TableModel, ConversionNote } from '../engines/schemaModel';
import type { DatabaseLocale, DdlStep, KeyRange, ReadChunkRequest, SequenceState, SourceEngine } from '../engines/sourceEngine';
import { checkPlan, discoverPlan, SplitPlanError } from './discoverPlan';
import { sliceScanWarnings } from './indexAdvice';
import { planTableName, type SourceSplit, type SplitPlan } from '../contract/splitPlan';
import type { DatabaseRef, MigrationOptions } from '../contract/migration';
import type { MigratorConfig } from '../config/configSchema';
import { openSource } from '../config/openEngines';
import { boundFilter, keyBound, leadingIndex, slicePredicate, sliceDialect, tableRole, tenantIndex, type SliceDialect } from './sliceSql';

/**
 * A tenant slice of a shared database as a source engine: wraps the shared database's own
 * engine and adds the tenant's row condition to every count, range plan and chunk read, so the
 * copy, checkpoints, checksums and validation work per slice exactly as for a whole database.
 */
export class SliceSourceEngine implements SourceEngine {
  readonly kind: string;
  private readonly dialect: SliceDialect;

  constructor(private readonly base: SourceEngine, private readonly split: SourceSplit, private readonly label: string) {
    this.kind = base.kind;
    this.dialect = sliceDialect(base.kind);
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
    const hopScans = sliceScanWarnings(full, plan).filter((w) => w.for.some((f) => f !== w.table));
    for (const t of full.tables) {
      const role = tableRole(plan, t);
      const n = planTableName(t);
      if (role.kind === 'excluded') {
        notes.push({ severity: 'info', object: n, message: 'split: excluded by the plan (the table exists, empty)' });
        continue;
      }
      const filter = slicePredicate(dialect, plan, t, this.split.tenantKey.value, lookup);
      const bound = filter ? keyBound(dialect, plan, t, lookup) : null;
      let slice: TableModel = filter ? { ...t, rowFilter: filter, ...(bound ? { rowFilterKeyBound: bound } : {}) } : { ...t };
      if (role.kind === 'rooted' && plan.dropTenantColumn) {
        if (t.key?.includes(role.column)) notes.push({ severity: 'info', object: n, message: `split: tenant column ${role.column} kept: it is part of the key` });
        else slice = withoutColumn(slice, role.column);
      }
      if (filter) slice.estimatedRows = await this.base.count(t, undefined, filter);
      notes.push({ severity: 'info', object: n, message: accessNote(t, role, plan) });
      for (const w of hopScans.filter((x) => x.table !== n && x.for.includes(n))) {
        notes.push({ severity: 'info', object: n, message: `split: SCANNED on the way: ${w.message}; ${w.createIndex}` });
      }
      tables.push(slice);
    }
    return { ...full, tables, notes };
  }

  // The full schema goes to every tenant (excluded tables included, empty), less dropped tenant columns.
  async preDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    const steps = await this.base.preDataSteps(await this.withExcluded(model));
    if (this.base.kind !== 'postgres') return steps; // model-driven DDL: the model has no dropped column
    const drops = (await this.dropped(model)).columns;
    if (!drops.length) return steps;
    const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';
    return [...steps, { label: 'split: drop tenant columns', group: 1,
      sql: drops.map((d) => `ALTER TABLE ONLY ${q(d.schema)}.${q(d.table)} DROP COLUMN ${q(d.column)} CASCADE;`).join('\n') }];
  }

  async postDataSteps(model: SchemaModel): Promise<DdlStep[]> {
    const steps = await this.base.postDataSteps(await this.withExcluded(model));
    if (this.base.kind !== 'postgres') return steps;
    const gone = (await this.dropped(model)).labels;
    return gone.size ? steps.filter((s) => !gone.has(s.label.replace(/ #\d+$/, ''))) : steps;
  }

  /** What dropping tenant columns removed from the slice model: the columns, and pg_dump labels of the indexes and constraints on them. */
  private async dropped(model: SchemaModel): Promise<{ columns: { schema: string; table: string; column: string }[]; labels: Set<string> }> {
    const columns: { schema: string; table: string; column: string }[] = [];
    const labels = new Set<string>();
    if (!model.tables.some((t) => t.rowFilter)) return { columns, labels };
    const full = new Map((await this.base.describe()).tables.map((t) => [planTableName(t), t]));
    for (const t of model.tables) {
      const f = full.get(planTableName(t));
      if (!f) continue;
      for (const c of f.columns) if (!t.columns.some((x) => x.name === c.name)) columns.push({ schema: t.schema, table: t.name, column: c.name });
      for (const i of f.indexes) {
        if (t.indexes.some((x) => x.name === i.name)) continue;
        labels.add(`INDEX ${t.schema}.${i.name}`);
        labels.add(`CONSTRAINT ${t.schema}.${t.name} ${i.name}`);
      }
      for (const k of f.foreignKeys) if (!t.foreignKeys.some((x) => x.name === k.name)) labels.add(`FK CONSTRAINT ${t.schema}.${t.name} ${k.name}`);
    }
    return { columns, labels };
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
    return this.base.count(table, range, boundFilter(this.dialect, table, { range }));
  }

  planRanges(table: TableModel, parts: number): Promise<KeyRange[]> {
    return this.base.planRanges(table, parts, table.rowFilter);
  }

  readChunk(req: ReadChunkRequest): Promise<Readable> {
    return this.base.readChunk({ ...req, filter: boundFilter(this.dialect, req.table, req) });
  }

  readsBinaryCopy(): boolean {
    return this.base.readsBinaryCopy?.() ?? false;
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
      const ix = leadingIndex(t, role.path.steps[0].columns[0]);
      const last = role.path.steps[role.path.steps.length - 1].to;
      return ix
        ? `split: reached via ${via} (tenant column ${plan.rooted[last]}); slice found from the tenant key, then by index ${ix}`
        : `split: reached via ${via}; SCANNED: no index starts with ${role.path.steps[0].columns[0]} on ${t.schema}.${t.name}, so each slice scans the table; create an index on (${role.path.steps[0].columns.join(', ')})`;
    }
  }
}

/** The table without the tenant column and without the indexes, FKs and checks that use it. */
export function withoutColumn(t: TableModel, column: string): TableModel {
  const mentions = new RegExp(`(^|[^A-Za-z0-9_])"?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?($|[^A-Za-z0-9_])`);
  return {
    ...t,
    columns: t.columns.filter((c) => c.name !== column),
    indexes: t.indexes.filter((i) => !i.columns.some((c) => c.name === column) && !i.include.includes(column)),
    foreignKeys: t.foreignKeys.filter((f) => !f.columns.includes(column)),
    checks: t.checks.filter((c) => !mentions.test(c.expression)),
  };
}

/**
 * A tenant's source engine: the database the reference names, or, for a tenant slice of a shared
 * database (`ref.split`), the shared database's engine filtered to the tenant. What activities open.
 */
export async function openTenantSource(config: MigratorConfig, ref: DatabaseRef, options: MigrationOptions = {}): Promise<SourceEngine> {
  if (!ref.split) return openSource(config, ref, options);
  const base = await openSource(config, { server: ref.server, database: ref.database }, options);
  return new SliceSourceEngine(base, ref.split, `${ref.server}/${ref.database} tenant ${ref.split.tenantKey.value}`);
}
