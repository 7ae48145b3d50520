/**
 * The SQL Server data set of `npm run bench -- --mssql`: its tables (T-SQL and PostgreSQL column
 * types side by side), the TDS connection from a URL, and the fill by multi-row INSERTs.
 */
import sql from 'mssql';

export type ColumnKind = 'num' | 'text' | 'ts';

export interface BenchColumn {
  name: string;
  ms: string;
  pg: string;
  kind: ColumnKind;
}

export interface BenchTable {
  name: string;
  key: string;
  columns: BenchColumn[];
}

export const MSSQL_TABLES: BenchTable[] = [
  {
    name: 'customers', key: 'id', columns: [
      { name: 'id', ms: 'int NOT NULL', pg: 'integer NOT NULL', kind: 'num' },
      { name: 'name', ms: 'nvarchar(100) NOT NULL', pg: 'varchar(100) NOT NULL', kind: 'text' },
      { name: 'email', ms: 'varchar(200) NULL', pg: 'varchar(200)', kind: 'text' },
      { name: 'created', ms: 'datetime2(3) NOT NULL', pg: 'timestamp(3) NOT NULL', kind: 'ts' },
      { name: 'balance', ms: 'decimal(12,2) NOT NULL', pg: 'numeric(12,2) NOT NULL', kind: 'num' },
    ],
  },
  {
    name: 'orders', key: 'id', columns: [
      { name: 'id', ms: 'bigint NOT NULL', pg: 'bigint NOT NULL', kind: 'num' },
      { name: 'customer_id', ms: 'int NOT NULL', pg: 'integer NOT NULL', kind: 'num' },
      { name: 'status', ms: 'varchar(20) NOT NULL', pg: 'varchar(20) NOT NULL', kind: 'text' },
      { name: 'amount', ms: 'decimal(12,2) NOT NULL', pg: 'numeric(12,2) NOT NULL', kind: 'num' },
      { name: 'note', ms: 'nvarchar(1000) NULL', pg: 'varchar(1000)', kind: 'text' },
      { name: 'placed', ms: 'datetime2(3) NOT NULL', pg: 'timestamp(3) NOT NULL', kind: 'ts' },
    ],
  },
];

/** A pool on `database` of the server named by an mssql:// URL that carries its password (bench only). */
export async function mssqlPool(url: string, database: string): Promise<sql.ConnectionPool> {
  const u = new URL(url);
  const pool = new sql.ConnectionPool({
    server: u.hostname, port: Number(u.port || 1433), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
    database, requestTimeout: 0, connectionTimeout: 60_000, pool: { max: 8, min: 0 },
    options: { encrypt: u.searchParams.get('encrypt') !== 'false', trustServerCertificate: u.searchParams.get('trustServerCertificate') === 'true', useUTC: true },
  });
  await pool.connect();
  pool.on('error', () => undefined);
  return pool;
}

/** Deterministic pseudo-random numbers (the same data every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'ünïcode', 'tab\there', 'line\nbreak', 'back\\slash', "o'quote", 'plain', 'order', 'shipped', 'zeta'];
const STATUSES = ['new', 'paid', 'shipped', 'cancelled', 'returned'];
const lit = (s: string) => `N'${s.replace(/'/g, "''")}'`;

function noteText(r: () => number): string | null {
  if (r() < 0.05) return null;
  const words: string[] = [];
  const n = 30 + Math.floor(r() * 50);
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(r() * WORDS.length)]);
  return words.join(' ').slice(0, 1000);
}

function timestamp(r: () => number): string {
  const ms = Date.UTC(2020, 0, 1) + Math.floor(r() * 4 * 365 * 86_400_000);
  return `'${new Date(ms).toISOString().slice(0, 23)}'`;
}

/** Rows per table for a target size: orders average ~450 bytes of COPY text, customers ~90, one customer per ten orders. */
export function rowCounts(sizeMb: number): Record<string, number> {
  const orders = Math.max(1000, Math.round((sizeMb * 1024 * 1024) / 460));
  return { orders, customers: Math.max(100, Math.round(orders / 10)) };
}

/**
 * (Re)creates `database` with the bench tables and fills them with multi-row INSERT statements
 * (not TDS bulk load: Babelfish's bulk load of decimal columns is broken).
 */
export async function createMssqlDataset(url: string, database: string, sizeMb: number, log: (m: string) => void): Promise<Record<string, number>> {
  const admin = await mssqlPool(url, 'master');
  try {
    await admin.request().batch(`IF DB_ID(N'${database}') IS NOT NULL DROP DATABASE [${database}]`);
    await admin.request().batch(`CREATE DATABASE [${database}]`);
  } finally {
    await admin.close();
  }
  const counts = rowCounts(sizeMb);
  const pool = await mssqlPool(url, database);
  try {
    for (const t of MSSQL_TABLES) {
      await pool.request().batch(`CREATE TABLE dbo.${t.name} (${t.columns.map((c) => `${c.name} ${c.ms}`).join(', ')}, CONSTRAINT pk_${t.name} PRIMARY KEY (${t.key}))`);
    }
    const r = rng(42);
    const perStatement = 500;
    const statementsPerBatch = 4;
    for (const t of MSSQL_TABLES) {
      const total = counts[t.name];
      const started = Date.now();
      let id = 1;
      while (id <= total) {
        const statements: string[] = [];
        for (let s = 0; s < statementsPerBatch && id <= total; s++) {
          const values: string[] = [];
          for (let i = 0; i < perStatement && id <= total; i++, id++) {
            values.push(t.name === 'customers'
              ? `(${id}, ${lit(`Customer ${id} ${WORDS[id % WORDS.length]}`)}, ${id % 17 === 0 ? 'NULL' : `'c${id}@example.test'`}, ${timestamp(r)}, ${(r() * 100000 - 20000).toFixed(2)})`
              : `(${id}, ${1 + Math.floor(r() * counts.customers)}, '${STATUSES[id % STATUSES.length]}', ${(r() * 5000).toFixed(2)}, ${(() => { const n = noteText(r); return n === null ? 'NULL' : lit(n); })()}, ${timestamp(r)})`);
          }
          statements.push(`INSERT INTO dbo.${t.name} (${t.columns.map((c) => c.name).join(', ')}) VALUES ${values.join(',\n')};`);
        }
        await pool.request().batch(statements.join('\n'));
      }
      log(`mssql: ${t.name}: ${total} rows inserted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await pool.close();
  }
  return counts;
}

/** Row counts of the bench tables on the SQL Server side. */
export async function mssqlRowCounts(url: string, database: string): Promise<Record<string, number>> {
  const pool = await mssqlPool(url, database);
  try {
    const out: Record<string, number> = {};
    for (const t of MSSQL_TABLES) {
      const res = await pool.request().query(`SELECT CAST(COUNT_BIG(*) AS varchar(20)) AS n FROM dbo.${t.name}`);
      out[t.name] = Number(res.recordset[0].n);
    }
    return out;
  } finally {
    await pool.close();
  }
}
