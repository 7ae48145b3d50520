/**
 * A steady writer on a source tenant (pgbench-like): inserts, updates that leave a large
 * TOASTed column unchanged, updates of it, deletes and key changes on `items`, plus inserts
 * into a composite-key table. A workload, like the lazy demo's shipments: used by the CDC tests
 * and the online bench.
 */
import { Client } from 'pg';

export const WRITER_SCHEMA = `
CREATE TABLE items (id bigint PRIMARY KEY, grp int NOT NULL, qty numeric(12,3), note text, big text, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE events (tenant int NOT NULL, seq int NOT NULL, kind text, payload jsonb, PRIMARY KEY (tenant, seq));
CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);
`;

/** A ~10 KB value that does not compress below the TOAST threshold. */
export const BIG_VALUE_SQL = `(SELECT string_agg(md5(random()::text || g::text), '') FROM generate_series(1, 300) g)`;

export async function seedWriterTables(db: Client, rows: number): Promise<void> {
  await db.query(WRITER_SCHEMA);
  await db.query(`INSERT INTO items (id, grp, qty, note, big)
    SELECT g, g % 10, g * 1.5, 'n' || g, CASE WHEN g % 5 = 0 THEN ${BIG_VALUE_SQL} END FROM generate_series(1, $1) g`, [rows]);
  await db.query(`INSERT INTO events SELECT g % 7, g, 'seed', jsonb_build_object('g', g) FROM generate_series(1, $1) g`, [Math.ceil(rows / 2)]);
}

export interface WriterStats {
  ops: number;
  errors: number;
  /** Ops refused because the database was read-only (frozen for cutover). */
  refused: number;
}

export class ChangeWriter {
  readonly stats: WriterStats = { ops: 0, errors: 0, refused: 0 };
  readonly errorMessages: string[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private nextId: number;
  private seq: number;

  /** `idBase` keeps two writers (source, then target after cutover) from inventing the same keys. */
  constructor(private readonly url: string, private readonly ratePerSecond: number, idBase = 10_000_000, private readonly appName = 'app-writer') {
    this.nextId = idBase;
    this.seq = idBase;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<WriterStats> {
    this.stopped = true;
    await this.loop;
    return this.stats;
  }

  private async connect(): Promise<Client> {
    const db = new Client({ connectionString: this.url, application_name: this.appName });
    db.on('error', () => undefined);
    await db.connect();
    return db;
  }

  private async run(): Promise<void> {
    let db: Client | undefined;
    const interval = 1000 / this.ratePerSecond;
    let next = Date.now();
    while (!this.stopped) {
      try {
        db ??= await this.connect();
        await this.step(db);
        this.stats.ops++;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '25006') this.stats.refused++;
        else {
          this.stats.errors++;
          if (this.errorMessages.length < 5) this.errorMessages.push((err as Error).message);
        }
        await db?.end().catch(() => undefined);
        db = undefined;
        await new Promise((r) => setTimeout(r, 50));
      }
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -1000) next = Date.now();
    }
    await db?.end().catch(() => undefined);
  }

  private async step(db: Client): Promise<void> {
    const pick = Math.random();
    if (pick < 0.3) {
      const id = this.nextId++;
      await db.query(`INSERT INTO items (id, grp, qty, note, big) VALUES ($1::bigint, $1::bigint % 10, $1::bigint * 0.25, 'ins', CASE WHEN $1::bigint % 3 = 0 THEN ${BIG_VALUE_SQL} END)`, [id]);
    } else if (pick < 0.55) {
      // Leaves `big` unchanged: pgoutput sends it as an unchanged TOAST datum.
      await db.query(`UPDATE items SET qty = qty + 1, note = 'upd' WHERE id = (SELECT id FROM items WHERE big IS NOT NULL ORDER BY random() LIMIT 1)`);
    } else if (pick < 0.62) {
      await db.query(`UPDATE items SET big = ${BIG_VALUE_SQL} WHERE id = (SELECT id FROM items ORDER BY random() LIMIT 1)`);
    } else if (pick < 0.72) {
      await db.query(`DELETE FROM items WHERE id = (SELECT id FROM items ORDER BY random() LIMIT 1)`);
    } else if (pick < 0.78) {
      // Key change of a row that may hold a TOASTed value (left unchanged by the update).
      const id = this.nextId++;
      await db.query(`UPDATE items SET id = $1, note = 'moved' WHERE id = (SELECT id FROM items ORDER BY random() LIMIT 1)`, [id]);
    } else if (pick < 0.85) {
      await db.query(`INSERT INTO notes (body) VALUES ('note')`);
    } else if (pick < 0.95) {
      await db.query(`INSERT INTO events VALUES ($1::int % 7, $1::int, 'w', jsonb_build_object('x', $1::int))`, [this.seq++]);
    } else {
      await db.query('BEGIN');
      await db.query(`UPDATE events SET payload = payload || '{"u":1}' WHERE seq = (SELECT seq FROM events ORDER BY random() LIMIT 1)`);
      await db.query(`DELETE FROM events WHERE seq = (SELECT seq FROM events ORDER BY random() LIMIT 1)`);
      await db.query('COMMIT');
    }
  }
}
