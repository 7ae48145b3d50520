import type { SchemaModel, TableModel } from '../engines/schemaModel';
import { BadInputError } from '../contract/failures';
import { planTableName, type PathStep, type SplitPath, type SplitPlan } from '../contract/splitPlan';

/**
 * Discovers a split plan from a described schema (engine-neutral: PostgreSQL and SQL Server
 * sources describe FKs the same way): rooted tables by the tenant column, the root table the
 * tenant columns reference, reached tables by FK paths, shared lookup tables. Never does I/O.
 */

export interface PlanOverrides {
  /** `schema.table` -> tenant column, for tables whose column has another name. */
  rooted?: Record<string, string>;
  reached?: Record<string, SplitPath>;
  shared?: string[];
  excluded?: string[];
}

export interface DiscoveredPlan {
  plan: SplitPlan;
  /** Tables discovery could not place (no tenant column, no FK path, not a lookup): the plan is refused. */
  unplaceable: string[];
  /** Shared because rows of tenant tables reference them and they reference nothing tenant-owned. */
  sharedDiscovered: string[];
  /** Reached tables with more than one path to a rooted table; the first is used, rows where they disagree are reported. */
  multiplePaths: { table: string; paths: SplitPath[] }[];
  /** Sets of tables whose foreign keys form a cycle (self-references are not listed). */
  cycles: string[][];
  /** The root table (the one the tenant columns reference), when there is one. */
  roots: string[];
}

/** A plan that cannot run: permanent (non-retryable), names the table. */
export class SplitPlanError extends BadInputError {}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function discoverPlan(model: SchemaModel, tenantColumn: string, overrides: PlanOverrides = {}): DiscoveredPlan {
  const tables = new Map(model.tables.map((t) => [planTableName(t), t]));
  const known = (what: string, n: string) => {
    if (!tables.has(n)) throw new SplitPlanError(`split plan: ${what} table ${n} is not in the source`);
  };
  const excluded = new Set(overrides.excluded ?? []);
  const shared = new Set(overrides.shared ?? []);
  excluded.forEach((n) => known('excluded', n));
  shared.forEach((n) => known('shared', n));
  const rooted = new Map<string, string>();
  for (const [n, col] of Object.entries(overrides.rooted ?? {})) {
    known('rooted', n);
    const c = tables.get(n)!.columns.find((x) => x.name === col);
    if (!c) throw new SplitPlanError(`split plan: rooted table ${n} has no column ${col}`);
    rooted.set(n, c.name);
  }
  const open = (n: string) => !excluded.has(n) && !shared.has(n) && !rooted.has(n);
  for (const [n, t] of tables) {
    if (!open(n)) continue;
    const c = t.columns.find((x) => same(x.name, tenantColumn));
    if (c) rooted.set(n, c.name);
  }
  // The root table: what the tenant columns reference (clients.id for orders.client_id).
  const roots: string[] = [];
  for (const [n, col] of [...rooted]) {
    for (const fk of tables.get(n)!.foreignKeys) {
      const ref = `${fk.refSchema}.${fk.refTable}`;
      if (fk.columns.length === 1 && fk.columns[0] === col && tables.has(ref) && open(ref)) {
        rooted.set(ref, fk.refColumns[0]);
        roots.push(ref);
      }
    }
  }

  // A single-column FK to the root's tenant column is a tenant column by another name (orders.owner_client).
  for (const root of roots) {
    for (const [n, t] of tables) {
      if (!open(n)) continue;
      const fk = t.foreignKeys.find((f) => `${f.refSchema}.${f.refTable}` === root && f.columns.length === 1 && f.refColumns[0] === rooted.get(root));
      if (fk) rooted.set(n, fk.columns[0]);
    }
  }

  const reached = new Map<string, SplitPath>();
  for (const [n, p] of Object.entries(overrides.reached ?? {})) {
    known('reached', n);
    checkPath(n, p, tables, rooted);
    reached.set(n, p);
  }
  const placed = (n: string) => rooted.has(n) || reached.has(n);
  const pathOf = (n: string): PathStep[] => (rooted.has(n) ? [] : reached.get(n)!.steps);
  const candidates = (n: string, t: TableModel): SplitPath[] => {
    const out: SplitPath[] = [];
    for (const fk of [...t.foreignKeys].sort((a, b) => a.name.localeCompare(b.name))) {
      const ref = `${fk.refSchema}.${fk.refTable}`;
      if (ref === n || !placed(ref)) continue;
      const rest = pathOf(ref);
      if (rest.some((s) => s.from === n)) continue; // would loop back through this table
      out.push({ steps: [{ from: n, columns: fk.columns, to: ref, refColumns: fk.refColumns, via: fk.name }, ...rest] });
    }
    return out.sort((a, b) => a.steps.length - b.steps.length);
  };
  // Breadth first, level by level, so every table gets a shortest path.
  for (;;) {
    const level = new Map<string, SplitPath>();
    for (const [n, t] of tables) {
      if (!open(n) || reached.has(n)) continue;
      const c = candidates(n, t);
      if (c.length) level.set(n, c[0]);
    }
    if (!level.size) break;
    for (const [n, p] of level) reached.set(n, p);
  }
  const multiplePaths: DiscoveredPlan['multiplePaths'] = [];
  const alternatePaths: Record<string, SplitPath[]> = {};
  for (const [n, chosen] of reached) {
    if (overrides.reached?.[n]) continue;
    const all = candidates(n, tables.get(n)!);
    const others = all.filter((p) => JSON.stringify(p) !== JSON.stringify(chosen));
    if (others.length) {
      multiplePaths.push({ table: n, paths: [chosen, ...others] });
      alternatePaths[n] = others;
    }
  }

  // Lookup tables: referenced by placed tables, referencing only shared ones.
  const sharedDiscovered: string[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const [n, t] of tables) {
      if (!open(n) || reached.has(n)) continue;
      const referencedByTenant = [...tables].some(([m, o]) => m !== n && (placed(m) || shared.has(m))
        && o.foreignKeys.some((fk) => `${fk.refSchema}.${fk.refTable}` === n));
      const refsOnlyShared = t.foreignKeys.every((fk) => {
        const ref = `${fk.refSchema}.${fk.refTable}`;
        return ref === n || shared.has(ref) || excluded.has(ref);
      });
      if (referencedByTenant && refsOnlyShared) {
        shared.add(n);
        sharedDiscovered.push(n);
        grew = true;
      }
    }
  }
  const unplaceable = [...tables.keys()].filter((n) => open(n) && !reached.has(n)).sort();

  const plan: SplitPlan = {
    tenantColumn,
    rooted: Object.fromEntries([...rooted].sort(([a], [b]) => a.localeCompare(b))),
    reached: Object.fromEntries([...reached].sort(([a], [b]) => a.localeCompare(b))),
    shared: [...shared].sort(),
    excluded: [...excluded].sort(),
    alternatePaths,
    onOrphans: 'fail', onTwoTenants: 'fail', reportKeys: false, keepGlobalSequences: false, dropTenantColumn: false,
    unplaceable,
  };
  return { plan, unplaceable, sharedDiscovered: sharedDiscovered.sort(), multiplePaths, cycles: fkCycles(model), roots };
}

/** A plan override path must start at its table, chain table to table and end at a rooted table. */
export function checkPath(table: string, path: SplitPath, tables: Map<string, TableModel>, rooted: Map<string, string> | Record<string, string>): void {
  const isRooted = (n: string) => (rooted instanceof Map ? rooted.has(n) : n in rooted);
  let at = table;
  for (const [i, s] of path.steps.entries()) {
    if (s.from !== at) throw new SplitPlanError(`split plan: path of ${table}, step ${i + 1} starts at ${s.from}, expected ${at}`);
    for (const [tn, cols] of [[s.from, s.columns], [s.to, s.refColumns]] as const) {
      const t = tables.get(tn);
      if (!t) throw new SplitPlanError(`split plan: path of ${table} names table ${tn}, which is not in the source`);
      for (const c of cols) if (!t.columns.some((x) => x.name === c)) throw new SplitPlanError(`split plan: path of ${table}: ${tn} has no column ${c}`);
    }
    at = s.to;
  }
  if (!isRooted(at)) throw new SplitPlanError(`split plan: path of ${table} ends at ${at}, which is not a rooted table`);
}

/** Strongly connected components of the FK graph with more than one table (Tarjan). */
export function fkCycles(model: SchemaModel): string[][] {
  const edges = new Map<string, string[]>();
  for (const t of model.tables) {
    const n = planTableName(t);
    edges.set(n, t.foreignKeys.map((fk) => `${fk.refSchema}.${fk.refTable}`).filter((r) => r !== n));
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      for (let w = ''; w !== v;) { w = stack.pop()!; onStack.delete(w); comp.push(w); }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * A plan fit to run: the declared plan checked against the described schema. Throws naming the
 * first unplaceable table, or a table the plan names that the source does not have.
 */
export function checkPlan(model: SchemaModel, plan: SplitPlan): void {
  const tables = new Map(model.tables.map((t) => [planTableName(t), t]));
  if (plan.unplaceable.length) throw new SplitPlanError(`split plan: cannot place table ${plan.unplaceable.join(', ')} (declare it rooted, reached, shared or excluded)`);
  const placed = new Set([...Object.keys(plan.rooted), ...Object.keys(plan.reached), ...plan.shared, ...plan.excluded]);
  const missing = [...tables.keys()].filter((n) => !placed.has(n));
  if (missing.length) throw new SplitPlanError(`split plan: cannot place table ${missing.join(', ')} (declare it rooted, reached, shared or excluded)`);
  for (const [n, col] of Object.entries(plan.rooted)) {
    const t = tables.get(n);
    if (!t) throw new SplitPlanError(`split plan: rooted table ${n} is not in the source`);
    if (!t.columns.some((c) => c.name === col)) throw new SplitPlanError(`split plan: rooted table ${n} has no column ${col}`);
  }
  for (const [n, p] of Object.entries(plan.reached)) checkPath(n, p, tables, plan.rooted);
  // An excluded table stays empty in every tenant: a copied table referencing it would break its FK.
  for (const [n, t] of tables) {
    if (plan.excluded.includes(n)) continue;
    for (const fk of t.foreignKeys) {
      const ref = `${fk.refSchema}.${fk.refTable}`;
      if (plan.excluded.includes(ref)) throw new SplitPlanError(`split plan: table ${n} references excluded table ${ref} (foreign key ${fk.name}); exclude ${n} too or copy ${ref}`);
    }
  }
  for (const [n, ps] of Object.entries(plan.alternatePaths)) for (const p of ps) checkPath(n, p, tables, plan.rooted);
}
