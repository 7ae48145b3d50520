/**
 * The plain driver loop of `--mssql`, run as its own process so its memory is measured alone:
 * `mssql` (tedious) streams `SELECT` rows, they are encoded to COPY text and piped into
 * `COPY ... FROM STDIN` (pg-copy-streams); tables run `BENCH_JOBS` at a time, the primary key
 * is added after the load. Prints one JSON line: COPY-text bytes and rows per table.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { MSSQL_TABLES, mssqlPool, type BenchColumn, type BenchTable } from './mssqlDataset';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function encoder(c: BenchColumn): (v: unknown) => string {
  if (c.kind === 'num') return (v) => String(v);
  if (c.kind === 'ts') return (v) => (v as Date).toISOString().slice(0, 23);
  return (v) => {
    const s = v as string;
    return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r]/g, (ch) => ESCAPES[ch]) : s;
  };
}

/** A readable of COPY text from a streaming mssql request, paused while the COPY side is full. */
function copyTextStream(request: import('mssql').Request, table: BenchTable, counter: { rows: number; bytes: number }): Readable {
  const enc = table.columns.map(encoder);
  let buf = '';
  const out = new Readable({ read() { request.resume(); } });
  request.stream = true;
  request.arrayRowMode = true;
  request.on('row', (row: unknown[]) => {
    let line = '';
    for (let i = 0; i < enc.length; i++) {
      const v = row[i];
      line += (i ? '\t' : '') + (v === null || v === undefined ? '\\N' : enc[i](v));
    }
    buf += line + '\n';
    counter.rows++;
    if (buf.length >= 65536) {
      const chunk = Buffer.from(buf, 'utf8');
      counter.bytes += chunk.length;
      buf = '';
      if (!out.push(chunk)) request.pause();
    }
  });
  request.on('error', (err: Error) => out.destroy(err));
  request.on('done', () => {
    if (buf) {
      const chunk = Buffer.from(buf, 'utf8');
      counter.bytes += chunk.length;
      out.push(chunk);
    }
    out.push(null);
  });
  request.query(`SELECT ${table.columns.map((c) => c.name).join(', ')} FROM dbo.${table.name}`);
  return out;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_MSSQL_URL!;
  const database = process.env.BENCH_MSSQL_DB!;
  const target = process.env.BENCH_PG_TARGET_URL!;
  const jobs = Number(process.env.BENCH_JOBS ?? 2);
  const pool = await mssqlPool(url, database);
  const counters: Record<string, { rows: number; bytes: number }> = {};
  const queue = [...MSSQL_TABLES].reverse(); // biggest (orders) first
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const table = t;
      const pg = new Client({ connectionString: target });
      await pg.connect();
      try {
        await pg.query(`CREATE TABLE public.${table.name} (${table.columns.map((c) => `${c.name} ${c.pg}`).join(', ')})`);
        const counter = { rows: 0, bytes: 0 };
        counters[table.name] = counter;
        await pipeline(copyTextStream(pool.request(), table, counter), pg.query(copyFrom(`COPY public.${table.name} FROM STDIN`)));
        await pg.query(`ALTER TABLE public.${table.name} ADD PRIMARY KEY (${table.key})`);
      } finally {
        await pg.end();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  await pool.close();
  const bytes = Object.values(counters).reduce((a, c) => a + c.bytes, 0);
  console.log(JSON.stringify({ bytes, rows: Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, v.rows])) }));
}

main().catch((err) => {
  console.error(`plain mssql copy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
