import { databaseExists, DB_PREFIX, dropDatabase, listDatabases, recreateDatabase, withDb } from './pg';
import type { Scale } from './types';

/** Bump when the generated schema or data change, so stale data sets are rebuilt. */
export const GENERATOR_VERSION = 2;

export interface ScaleSpec {
  wideRows: number;
  compositeRows: number;
  nokeyRows: number;
  fleetSize: number;
}

/** full: the wide table is ~2 GB (about 200 bytes a row). */
export const SCALE_SPECS: Record<Scale, ScaleSpec> = {
  tiny: { wideRows: 20_000, compositeRows: 10_000, nokeyRows: 5_000, fleetSize: 5 },
  small: { wideRows: 500_000, compositeRows: 150_000, nokeyRows: 100_000, fleetSize: 50 },
  full: { wideRows: 10_000_000, compositeRows: 2_000_000, nokeyRows: 1_000_000, fleetSize: 500 },
};

export const MARKER_TABLE = 'tmig_bench_meta';

export function sourceDbName(scale: Scale): string {
  return `${DB_PREFIX}${scale}_src`;
}

export function targetDbName(scale: Scale, tool: string): string {
  return `${DB_PREFIX}${scale}_dst_${tool.replace(/[^a-z0-9]/g, '_')}`;
}

export const FLEET_TEMPLATE = `${DB_PREFIX}fleet_template`;
export const FLEET_PREFIX = `${DB_PREFIX}fleet_src_`;

export function fleetSourceName(i: number): string {
  return `${FLEET_PREFIX}${String(i).padStart(4, '0')}`;
}

export function fleetTargetName(i: number): string {
  return `${DB_PREFIX}fleet_dst_${String(i).padStart(4, '0')}`;
}

/** Rows are inserted in batches of this size so progress shows and no single statement runs for minutes. */
const BATCH = 1_000_000;

const MAIN_SCHEMA = `
CREATE TABLE ${MARKER_TABLE} (scale text PRIMARY KEY, generator_version int NOT NULL, spec jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());

-- Wide table: every common type, a bigint key, a secondary index.
CREATE TABLE wide (
  id bigint PRIMARY KEY,
  account_id integer NOT NULL,
  sku text NOT NULL,
  title text NOT NULL,
  note text,
  amount numeric(14,2) NOT NULL,
  rate double precision,
  quantity smallint,
  created_at timestamptz NOT NULL,
  updated_at timestamptz,
  due_on date,
  attrs jsonb,
  payload bytea,
  active boolean NOT NULL,
  ref uuid
);

-- Composite primary key (int, int) plus a foreign-key-free detail shape.
CREATE TABLE lines (
  order_id integer NOT NULL,
  line_no integer NOT NULL,
  product text NOT NULL,
  qty integer NOT NULL,
  price numeric(12,2) NOT NULL,
  shipped_at timestamptz,
  PRIMARY KEY (order_id, line_no)
);

-- No key at all: copied in one piece by tools that chunk by key.
CREATE TABLE events (
  at timestamptz NOT NULL,
  kind text NOT NULL,
  body text,
  value numeric
);`;

const MAIN_POST_DATA = `
CREATE INDEX wide_account_idx ON wide (account_id, created_at);
CREATE INDEX lines_product_idx ON lines (product);
CREATE INDEX events_at_idx ON events (at);`;

/** Server-side generation of rows [lo, hi] of each table: deterministic, varied values, some NULLs. */
function wideInsert(lo: number, hi: number): string {
  return `INSERT INTO wide
SELECT g,
       (g % 100000)::int,
       'SKU-' || lpad(((g * 7919) % 1000000)::text, 7, '0'),
       substr(md5(g::text), 1, 24),
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || (g % 1000) || ' ' || substr(md5((g * 3)::text), 1, (g % 24)::int) END,
       ((g * 37) % 100000000) / 100.0,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (g % 1000) / 7.0 END,
       (g % 32000)::smallint,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second',
       CASE WHEN g % 3 = 0 THEN NULL ELSE timestamptz '2021-06-01 12:00:00.123456+00' + (g % 86400) * interval '1 second' END,
       date '2020-01-01' + (g % 3650)::int,
       CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('k', g % 100, 'tag', 't' || (g % 13), 'ok', g % 2 = 0) END,
       decode(substr(md5((g * 5)::text) || md5((g * 6)::text), 1, 16 + 2 * (g % 8)::int), 'hex'),
       g % 4 <> 0,
       md5((g * 17)::text)::uuid
  FROM generate_series(${lo}::bigint, ${hi}::bigint) AS g`;
}

function linesInsert(lo: number, hi: number): string {
  // 5 lines per order: row g -> (order g/5, line g%5).
  return `INSERT INTO lines
SELECT (g / 5)::int, (g % 5)::int + 1, 'product-' || (g % 5000), (g % 20)::int + 1, ((g * 13) % 100000) / 100.0,
       CASE WHEN g % 6 = 0 THEN NULL ELSE timestamptz '2022-01-01 00:00:00+00' + g * interval '37 seconds' END
  FROM generate_series(${lo}::bigint, ${hi}::bigint) AS g`;
}

function eventsInsert(lo: number, hi: number): string {
  // Row h = g, except every 1000th row repeats its predecessor: a table with no key may hold duplicates.
  return `INSERT INTO events
SELECT timestamptz '2023-01-01 00:00:00+00' + h * interval '1 second',
       (ARRAY['login', 'logout', 'purchase', 'refund'])[(h % 4) + 1],
       CASE WHEN h % 9 = 0 THEN NULL ELSE 'event body ' || md5(h::text) END,
       (h % 100000) / 1000.0
  FROM (SELECT CASE WHEN g % 1000 = 1 AND g > 1 THEN g - 1 ELSE g END AS h
          FROM generate_series(${lo}::bigint, ${hi}::bigint) AS g) AS s`;
}

async function insertBatched(database: string, table: string, rows: number, sql: (lo: number, hi: number) => string, log: (m: string) => void): Promise<void> {
  await withDb(database, async (c) => {
    for (let lo = 1; lo <= rows; lo += BATCH) {
      const hi = Math.min(rows, lo + BATCH - 1);
      await c.query(sql(lo, hi));
      if (rows > BATCH) log(`  ${table}: ${hi.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} rows`);
    }
  });
}

/** jsonb reorders keys, so specs are compared with sorted keys. */
export function sameSpec(a: object, b: object): boolean {
  const canonical = (o: object) => JSON.stringify(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
  return canonical(a) === canonical(b);
}

async function markerMatches(database: string, scale: string, spec: object): Promise<boolean> {
  if (!(await databaseExists(database))) return false;
  return withDb(database, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = $2', [MARKER_TABLE, 'r']);
    if (!exists.rowCount) return false;
    const res = await c.query(`SELECT generator_version, spec FROM ${MARKER_TABLE} WHERE scale = $1`, [scale]);
    return res.rowCount === 1 && res.rows[0].generator_version === GENERATOR_VERSION && sameSpec(res.rows[0].spec, spec);
  });
}

/** Creates the scale's source database unless a matching marker shows it is already there. Returns its name. */
export async function ensureMainDataset(scale: Scale, opts: { regenerate: boolean; log: (m: string) => void }): Promise<string> {
  const db = sourceDbName(scale);
  const spec = SCALE_SPECS[scale];
  const specJson = { wideRows: spec.wideRows, compositeRows: spec.compositeRows, nokeyRows: spec.nokeyRows };
  if (!opts.regenerate && (await markerMatches(db, scale, specJson))) {
    opts.log(`data set ${db}: present (reused)`);
    return db;
  }
  const started = Date.now();
  opts.log(`data set ${db}: generating (${spec.wideRows.toLocaleString('en-US')} wide rows)`);
  await recreateDatabase(db);
  await withDb(db, (c) => c.query(MAIN_SCHEMA));
  await insertBatched(db, 'wide', spec.wideRows, wideInsert, opts.log);
  await insertBatched(db, 'lines', spec.compositeRows, linesInsert, opts.log);
  await insertBatched(db, 'events', spec.nokeyRows, eventsInsert, opts.log);
  await withDb(db, async (c) => {
    await c.query(MAIN_POST_DATA);
    // Freeze sets hint bits now, so the first tool to read the tables does not pay for it.
    await c.query('VACUUM (FREEZE, ANALYZE)');
    // The marker goes in last: an interrupted generation is rebuilt on the next run.
    await c.query(`INSERT INTO ${MARKER_TABLE} (scale, generator_version, spec) VALUES ($1, $2, $3)`, [scale, GENERATOR_VERSION, JSON.stringify(specJson)]);
  });
  opts.log(`data set ${db}: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return db;
}

const TENANT_SCHEMA = `
CREATE TABLE ${MARKER_TABLE} (scale text PRIMARY KEY, generator_version int NOT NULL, spec jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, email text, balance numeric(12,2) NOT NULL DEFAULT 0, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), placed_at timestamptz NOT NULL, status text NOT NULL, total numeric(12,2) NOT NULL, meta jsonb);
CREATE TABLE order_lines (order_id bigint NOT NULL REFERENCES orders (id), line_no integer NOT NULL, sku text NOT NULL, qty integer NOT NULL, price numeric(12,2) NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE audit_log (at timestamptz NOT NULL, actor text NOT NULL, action text NOT NULL);
INSERT INTO customers SELECT g, 'Customer ' || g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'c' || g || '@example.com' END, (g * 13 % 10000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 200) g;
INSERT INTO orders SELECT g, (g % 200) + 1, timestamptz '2024-02-01 00:00:00+00' + g * interval '7 minutes', (ARRAY['new','paid','shipped'])[(g % 3) + 1], (g * 31 % 100000) / 100.0, CASE WHEN g % 2 = 0 THEN jsonb_build_object('channel', 'web') END FROM generate_series(1, 1000) g;
INSERT INTO order_lines SELECT (g / 3) + 1, (g % 3) + 1, 'SKU-' || (g % 97), (g % 5) + 1, (g * 7 % 10000) / 100.0 FROM generate_series(0, 2999) g;
INSERT INTO audit_log SELECT timestamptz '2024-03-01 00:00:00+00' + g * interval '1 minute', 'user' || (g % 10), 'action ' || g FROM generate_series(1, 500) g;
CREATE INDEX orders_customer_idx ON orders (customer_id);`;

/** Ensures fleet tenant databases 1..size exist (cloned from a template database). Returns their names. */
export async function ensureFleet(size: number, opts: { regenerate: boolean; log: (m: string) => void }): Promise<string[]> {
  const spec = { tenantTables: 4, version: GENERATOR_VERSION };
  const templateOk = !opts.regenerate && (await markerMatches(FLEET_TEMPLATE, 'fleet', spec));
  const wanted = Array.from({ length: size }, (_, i) => fleetSourceName(i + 1));
  if (!templateOk) {
    opts.log(`fleet: building template ${FLEET_TEMPLATE}`);
    for (const db of await listDatabases(FLEET_PREFIX)) await dropDatabase(db);
    await recreateDatabase(FLEET_TEMPLATE);
    await withDb(FLEET_TEMPLATE, async (c) => {
      await c.query(TENANT_SCHEMA);
      await c.query('VACUUM (FREEZE, ANALYZE)');
      await c.query(`INSERT INTO ${MARKER_TABLE} (scale, generator_version, spec) VALUES ('fleet', $1, $2)`, [GENERATOR_VERSION, JSON.stringify(spec)]);
    });
  }
  const existing = new Set(await listDatabases(FLEET_PREFIX));
  const missing = wanted.filter((db) => !existing.has(db));
  if (missing.length) {
    const started = Date.now();
    opts.log(`fleet: creating ${missing.length} tenant databases from the template`);
    for (const db of missing) await recreateDatabase(db, FLEET_TEMPLATE);
    opts.log(`fleet: created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    opts.log(`fleet: ${size} tenant databases present (reused)`);
  }
  return wanted;
}
